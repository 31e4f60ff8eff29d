#!/usr/bin/env bash
# Few-step distillation of the fast tiny DiffHand on SynthHand, against the teacher trained on
# for the same time. Starts from a teacher run of tools/analysis/run_learning_curves.sh (its
# last checkpoint) and runs three arms side by side, one thread each, BUDGET seconds of
# training each (TrainTimeBudgetHook):
#   distill_1, distill_2: DistilledDiffHand, the 10-step sampler distilled into 1 / 2 steps;
#   continued:            the teacher's own training resumed (what the same time buys without
#                         distillation).
# Then every model is tested on the 200 SynthHand test images with 1, 2 and 10 DDIM steps (a
# student with its own steps), and tools/analysis/report_distillation.py writes the steps x
# accuracy x time table into docs/learning_curves.md.
#   bash tools/analysis/run_distillation.sh [TEACHER_RUN_DIR] [OUT_DIR] [BUDGET_SECONDS]
set -euo pipefail
# The whole script is one function, read before it runs: editing the file cannot change a
# run in progress.
main() {
  cd "$(dirname "$0")/../.."
  TEACHER_RUN=${1:-work_dirs/lc_fast/fast}
  OUT=${2:-work_dirs/distillation}
  BUDGET=${3:-900}
  DATA=data/synthhand_lc
  PY=.venv/bin/python
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
  TEACHER=$(cat "$TEACHER_RUN/last_checkpoint")
  [[ -f $TEACHER ]] || { echo "no teacher checkpoint in $TEACHER_RUN" >&2; exit 2; }
  mkdir -p "$OUT"

  write_config() {  # name, config, extra options of write_run_config.py
    local name=$1 config=$2
    shift 2
    $PY tools/analysis/write_run_config.py "$config" "$OUT/$name/run_config.py" \
      --data "$DATA" --budget "$BUDGET" "$@"
  }
  pids=()
  for steps in 1 2; do
    write_config "distill_$steps" configs/diffhand_fast_tiny_synthhand_distilled.py \
      --teacher-checkpoint "$TEACHER" --student-steps $steps
    $PY tools/train.py "$OUT/distill_$steps/run_config.py" --work-dir "$OUT/distill_$steps" \
      > "$OUT/distill_$steps/train.log" 2>&1 &
    pids+=($!)
  done
  write_config continued configs/diffhand_fast_tiny_synthhand.py
  $PY tools/train.py "$OUT/continued/run_config.py" --work-dir "$OUT/continued" \
    --resume "$TEACHER" > "$OUT/continued/train.log" 2>&1 &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid"; done

  test_run() {  # config, checkpoint, steps, name
    mkdir -p "$OUT/tests/$4"
    $PY tools/test.py "$1" "$2" --work-dir "$OUT/tests/$4" \
      --cfg-options model.test_cfg.sampling_steps=$3 > "$OUT/tests/$4/test.log" 2>&1
  }
  mkdir -p "$OUT/tests"
  for steps in 1 2 10; do
    test_run "$OUT/continued/run_config.py" "$TEACHER" $steps "teacher_$steps"
    test_run "$OUT/continued/run_config.py" "$(cat "$OUT/continued/last_checkpoint")" $steps \
      "continued_$steps"
  done
  for steps in 1 2; do
    test_run "$OUT/distill_$steps/run_config.py" "$(cat "$OUT/distill_$steps/last_checkpoint")" \
      $steps "distill_${steps}_$steps"
  done
  $PY tools/analysis/report_distillation.py "$OUT" --teacher-run "$TEACHER_RUN" \
    --budget "$BUDGET" --out docs/learning_curves.md
}
main "$@"; exit $?
