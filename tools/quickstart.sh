#!/usr/bin/env bash
# The main job, on a fresh machine: set up, make SynthHand test images, evaluate the tiny
# DiffHand checkpoint the project trained (shipped in checkpoints/), and reconstruct the hands
# in the test images, writing meshes (.obj), JSON, overlays and side views.
#
#   bash tools/quickstart.sh [OUT_DIR]            # default: work_dirs/quickstart in the repository
#   TRAIN_ITERS=300 bash tools/quickstart.sh OUT  # train the tiny model here instead (minutes)
#   NUM_TEST=4 bash tools/quickstart.sh OUT       # fewer test images (default 16)
#   DRY_RUN=1 bash tools/quickstart.sh OUT        # say where it writes and what it replaces
#
# OUT_DIR is taken relative to the directory you call the script from. A run replaces what an
# earlier quick start wrote in OUT_DIR (synthhand/, test/, train/, demo/, test.log) and nothing
# else; a non-empty OUT_DIR that the quick start did not write is refused.
# TRAIN_ITERS is 0 (use the shipped checkpoint) or more than 50: the tiny config warms the
# learning rate up for 50 iterations before its cosine decay.
set -euo pipefail
fail() { echo "quickstart: error: $*" >&2; exit 2; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Resolve OUT_DIR from the caller's directory before moving into the repository.
if [[ $# -ge 1 && -n "$1" ]]; then
  OUT="$(realpath -m -- "$1")"
else
  OUT="$repo_root/work_dirs/quickstart"
fi
TRAIN_ITERS=${TRAIN_ITERS:-0}
NUM_TEST=${NUM_TEST:-16}
WARMUP_ITERS=50  # LinearLR's end in configs/diffhand_tiny_synthhand.py
[[ "$TRAIN_ITERS" =~ ^[0-9]+$ ]] || fail "TRAIN_ITERS must be a whole number, got '$TRAIN_ITERS'"
[[ "$NUM_TEST" =~ ^[0-9]+$ ]] && (( NUM_TEST >= 1 )) \
  || fail "NUM_TEST must be a whole number of at least 1, got '$NUM_TEST'"
if (( TRAIN_ITERS > 0 && TRAIN_ITERS <= WARMUP_ITERS )); then
  fail "TRAIN_ITERS must be 0 (use the shipped checkpoint) or more than $WARMUP_ITERS (the tiny" \
    "config warms the learning rate up for $WARMUP_ITERS iterations, then decays it); got $TRAIN_ITERS"
fi

# What the quick start writes in OUT; only these are ever removed.
OWN=(synthhand test train demo test.log .quickstart)
if [[ -d "$OUT" && ! -f "$OUT/.quickstart" ]]; then
  for entry in "$OUT"/* "$OUT"/.[!.]*; do
    [[ -e "$entry" ]] || continue
    name="$(basename "$entry")"
    [[ " ${OWN[*]} " == *" $name "* ]] \
      || fail "$OUT is not empty and was not written by the quick start (it holds $name);" \
        "give an empty or new folder"
  done
fi
if [[ "${DRY_RUN:-0}" != 0 ]]; then
  echo "[quickstart] would write to $OUT"
  for name in "${OWN[@]}"; do
    [[ "$name" == .quickstart || ! -e "$OUT/$name" ]] || echo "[quickstart] would replace $OUT/$name"
  done
  exit 0
fi
mkdir -p "$OUT"
touch "$OUT/.quickstart"
for name in "${OWN[@]}"; do
  [[ "$name" == .quickstart ]] || rm -rf -- "${OUT:?}/$name"
done

cd "$repo_root"
CONFIG=configs/diffhand_tiny_synthhand.py
CHECKPOINT=checkpoints/diffhand_tiny_synthhand.pth
PY=.venv/bin/python

bash tools/setup_env.sh
data="$OUT/synthhand"
loaders=()
for loader in train_dataloader val_dataloader test_dataloader; do
  loaders+=("$loader.dataset.data_root=$data")
done

echo "[quickstart] 1/3 SynthHand images -> $data"
# Seed 1: test images the shipped checkpoint never saw (it was trained on seed 0).
$PY tools/dataset_converters/make_synthhand.py --out "$data" \
  --num-train "$(( TRAIN_ITERS > 0 ? 512 : 0 ))" --num-test "$NUM_TEST" --seed 1 --no-progress

if (( TRAIN_ITERS > 0 )); then
  echo "[quickstart] training the tiny model for $TRAIN_ITERS iterations"
  $PY tools/train.py $CONFIG --work-dir "$OUT/train" --cfg-options "${loaders[@]}" \
    train_cfg.max_iters="$TRAIN_ITERS" train_cfg.val_interval="$TRAIN_ITERS" \
    param_scheduler.1.end="$TRAIN_ITERS" \
    param_scheduler.1.T_max="$(( TRAIN_ITERS - WARMUP_ITERS ))"
  CHECKPOINT="$(cat "$OUT/train/last_checkpoint")"
fi

echo "[quickstart] 2/3 evaluating $CHECKPOINT on the $NUM_TEST test images"
$PY tools/test.py $CONFIG "$CHECKPOINT" --work-dir "$OUT/test" --cfg-options "${loaders[@]}" \
  test_dataloader.num_workers=0 test_dataloader.persistent_workers=False > "$OUT/test.log" 2>&1 \
  || { tail -n 30 "$OUT/test.log"; exit 1; }
grep "(test)" "$OUT/test.log" | sed 's/.*(test) *\[[0-9/]*\] *//'

echo "[quickstart] 3/3 reconstructing hands -> $OUT/demo"
$PY tools/demo.py "$data/evaluation/rgb" --config $CONFIG --checkpoint "$CHECKPOINT" \
  --out-dir "$OUT/demo"
echo "[quickstart] done: meshes, JSON, overlays and side views in $OUT/demo"
