#!/usr/bin/env bash
# Fetch, here (with access to PyPI), the pure-Python packages that the GPU machine lacks, as
# wheels in .whl/ (ignored by git), for tools/analysis/gpu_benchmark.sh to install there. That
# machine has Python 3.12 with torch, timm, numpy, scipy and OpenCV, but no OpenMMLab packages
# and no network (docs/benchmarks.md, "Model inference on a GPU").
#   bash tools/analysis/prepare_gpu_wheels.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
grep -qx '/.whl/' "$(git rev-parse --git-common-dir)/info/exclude" 2>/dev/null ||
  echo '/.whl/' >> "$(git rev-parse --git-common-dir)/info/exclude"
mkdir -p .whl
# The versions this project pins (requirements/), and the small pure-Python needs of mmengine,
# mmcv-lite and mmpose that the GPU image does not hold.
$PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
  -d .whl mmengine==0.10.7 mmcv-lite==2.2.0 mmpose==1.3.2 addict yapf termcolor platformdirs \
  json-tricks==3.17.3 munkres==1.1.4
ls -la .whl
