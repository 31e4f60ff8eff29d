#!/usr/bin/env bash
# Make each of four training-signal bugs (issue 12) in a scratch worktree of HEAD and run the tests
# that must catch it; every line must say "failed". Run from anywhere in the repository:
#   bash tools/analysis/mutation_check.sh
set -u
SRC=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$SRC"
run() {  # name, file, text to replace (exactly once), its replacement, test files...
  name=$1; file=$2; old=$3; new=$4; shift 4
  d=$W/$name; rm -rf $d; git worktree add -f --detach $d HEAD >/dev/null 2>&1
  python3 - "$d/$file" "$old" "$new" <<'PY'
import sys
p, old, new = sys.argv[1:]
s = open(p).read(); assert s.count(old) == 1, (p, old); open(p, 'w').write(s.replace(old, new))
PY
  (cd $d && PYTHONPATH=$d OMP_NUM_THREADS=1 $SRC/.venv/bin/python -c "import diffhand_mm; print(\"[$name] uses\", diffhand_mm.__file__)" && PYTHONPATH=$d OMP_NUM_THREADS=1 $SRC/.venv/bin/python -m pytest -q -p no:cacheprovider "$@" 2>&1 | grep -E "^FAILED|passed|failed" | sed "s/^/[$name] /")
  git worktree remove --force $d
}
run x0_to_decoder diffhand_mm/models/heads/diffusion_mesh_head.py \
  "self.decoder(x_t, t, context))" "self.decoder(signal, t, context))" \
  tests/test_models/test_heads/test_diffusion_mesh_head.py
run not_root_relative diffhand_mm/models/heads/diffusion_mesh_head.py \
  "x0 = self.diffusion.normalize(self.root_relative(vertices))" "x0 = self.diffusion.normalize(vertices)" \
  tests/test_models/test_heads/test_diffusion_mesh_head.py
run ddim_sigma diffhand_mm/models/diffusion/schedule.py \
  "(1 - alpha_bar_t / alpha_bar_prev)).clamp(min=0).sqrt()" "(1 - alpha_bar_t)).clamp(min=0).sqrt()" \
  tests/test_models/test_diffusion/test_schedule.py
run resume_weights_only tools/train.py \
  "        cfg.resume = True
        cfg.load_from = args.resume" "        cfg.resume = False
        cfg.load_from = args.resume" \
  tests/test_tools/test_train_resume.py
