#!/usr/bin/env bash
# Learning curves on SynthHand at an equal budget of training time, one comparison at a time:
#   ablations: the tiny DiffHand vs the paper's two ablations (no diffusion, vanilla decoder);
#   fast:      the fast tiny DiffHand (coarse decoder) vs the paper-decoder tiny DiffHand;
#   losses:    the tiny DiffHand trained with our loss set vs the paper's (docs/model.md).
# The runs of a comparison go side by side (one thread each, data loading in process), so they
# share the machine alike; TrainTimeBudgetHook stops each after BUDGET seconds of training
# (validation excluded). Then each final checkpoint is tested on the whole SynthHand test split
# with the default 10 DDIM steps, and the curves are plotted into the comparison's section of
# docs/learning_curves.md.
#   bash tools/analysis/run_learning_curves.sh [OUT_DIR] [BUDGET_SECONDS] [ablations|fast|losses]
set -euo pipefail
# The whole script is one function, read before it runs: editing the file cannot change a
# run in progress.
main() {
  cd "$(dirname "$0")/../.."
  OUT=${1:-work_dirs/learning_curves}
  BUDGET=${2:-1800}
  COMPARISON=${3:-ablations}
  case $COMPARISON in
    ablations) RUNS=(full no_diffusion vanilla_decoder) ;;
    fast) RUNS=(full fast) ;;
    losses) RUNS=(ours_losses paper_losses) ;;
    *) echo "unknown comparison '$COMPARISON' (ablations, fast or losses)" >&2; exit 2 ;;
  esac
  DATA=data/synthhand_lc
  PY=.venv/bin/python
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

  if [[ ! -f $DATA/evaluation_xyz.json ]]; then
    $PY tools/dataset_converters/make_synthhand.py --out $DATA --num-train 2000 --num-test 200 \
      --seed 0 --no-progress
  fi

  declare -A configs=(
    [full]=configs/diffhand_tiny_synthhand.py
    [no_diffusion]=configs/ablations/diffhand_tiny_synthhand_no_diffusion.py
    [vanilla_decoder]=configs/ablations/diffhand_tiny_synthhand_vanilla_decoder.py
    [fast]=configs/diffhand_fast_tiny_synthhand.py
    [ours_losses]=configs/diffhand_tiny_synthhand.py
    [paper_losses]=configs/ablations/diffhand_tiny_synthhand_paper_losses.py
  )
  pids=()
  for name in "${RUNS[@]}"; do
    mkdir -p "$OUT/$name"
    $PY tools/analysis/write_run_config.py "${configs[$name]}" "$OUT/$name/run_config.py" \
      --data "$DATA" --budget "$BUDGET"
    $PY tools/train.py "$OUT/$name/run_config.py" --work-dir "$OUT/$name" \
      > "$OUT/$name/train.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done

  for name in "${RUNS[@]}"; do
    $PY tools/test.py "$OUT/$name/run_config.py" "$(cat "$OUT/$name/last_checkpoint")" \
      --work-dir "$OUT/$name/test" > "$OUT/$name/test.log" 2>&1
  done
  png=docs/images/learning_curves.png
  [[ $COMPARISON == ablations ]] || png=docs/images/learning_curves_$COMPARISON.png
  $PY tools/analysis/plot_learning_curves.py "$OUT" --budget "$BUDGET" --runs "${RUNS[@]}" \
    --comparison "$COMPARISON" --out-md docs/learning_curves.md --out-png "$png"
}
main "$@"; exit $?
