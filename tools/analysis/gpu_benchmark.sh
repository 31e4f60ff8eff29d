#!/usr/bin/env bash
# The GPU checks of the fast DiffHand (issue 13), as one short run on a CUDA machine:
#   1. the CUDA-graph sampler replays the eager loop (tests/.../test_accelerated_sampling.py);
#   2. paper and fast DiffHand with DeiT-III large, 1 or 10 DDIM steps x 1 or 8 hypotheses,
#      eager and with the sampling loop as a CUDA graph (test_cfg.accelerate='cuda_graph'):
#      synchronised wall-clock latency per image, interleaved rounds, ratios to 1 x 1.
# Every figure goes into docs/benchmarks.md ("Model inference on a GPU, ..." sections), which
# is then copied to $OUT when that is set (the device tool brings $OUT back).
# Before (here, with PyPI): bash tools/analysis/prepare_gpu_wheels.sh   (wheels in .whl/)
# Then, on the GPU machine, with .whl carried along:
#   bash tools/analysis/gpu_benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-python3}
export PYTHONUNBUFFERED=1
if compgen -G '.whl/*.whl' > /dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
fi
# mmpose.evaluation imports xtcocotools (built against numpy 1.x); nothing here uses it.
mkdir -p /tmp/shim/xtcocotools
printf 'class COCO: pass\nclass COCOeval: pass\n' > /tmp/shim/xtcocotools/coco.py
cp /tmp/shim/xtcocotools/coco.py /tmp/shim/xtcocotools/cocoeval.py
touch /tmp/shim/xtcocotools/__init__.py
export PYTHONPATH=$PWD:/tmp/site:/tmp/shim${PYTHONPATH:+:$PYTHONPATH}
$PY -c "import torch, diffhand_mm, mmpose.structures, timm
assert torch.cuda.is_available(), 'no CUDA device'
print('torch', torch.__version__, torch.cuda.get_device_name(0))"

$PY -m pytest -q -p no:cacheprovider tests/test_models/test_heads/test_accelerated_sampling.py
CONFIGS=(configs/_base_/models/diffhand_deit_large.py configs/_base_/models/diffhand_fast_deit_large.py)
for mode in eager cuda_graph; do
  accelerate=()
  [[ $mode == eager ]] || accelerate=(--accelerate "$mode")
  $PY tools/analysis/benchmark_inference.py --config "${CONFIGS[@]}" --device cuda \
    --steps 1 10 --hypotheses 1 8 --repeats 20 --warmup 3 "${accelerate[@]}" \
    --title "## Model inference on a GPU, sampling loop: $mode" --out docs/benchmarks.md
done
[[ -z ${OUT:-} ]] || cp docs/benchmarks.md "$OUT/benchmarks.md"
