#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment at <repo>/.venv.
#
# Idempotent: the pinned requirement files and setup.py are hashed into a stamp inside the venv;
# when nothing changed, a second run returns in about a second. Usage:
#   bash tools/setup_env.sh            # create / update .venv
#   PYTHON=python3.11 bash tools/setup_env.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv_dir="${DIFFHAND_VENV:-$repo_root/.venv}"
python_bin="${PYTHON:-python3}"
stamp_file="$venv_dir/.diffhand_mm_stamp"

stamp_inputs=(
  "$repo_root/requirements/torch.txt"
  "$repo_root/requirements/runtime.txt"
  "$repo_root/requirements/mmpose.txt"
  "$repo_root/requirements/tests.txt"
  "$repo_root/requirements/export.txt"
  "$repo_root/setup.py"
)
wanted_stamp="$(cat "${stamp_inputs[@]}" | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$wanted_stamp" ]]; then
  exit 0
fi

if [[ ! -x "$venv_dir/bin/python" ]]; then
  echo "[setup_env] creating $venv_dir with $("$python_bin" --version 2>&1)"
  "$python_bin" -m venv "$venv_dir"
fi

pip_install() {
  # pip's "Location ... is ignored" lines about this machine's local indexes are noise.
  "$venv_dir/bin/python" -m pip install --disable-pip-version-check -q "$@" 2>&1 \
    | { grep -v "WARNING: Location 'file://" || true; }
  return "${PIPESTATUS[0]}"
}

echo "[setup_env] installing pinned requirements (first run: a few minutes)"
pip_install -r "$repo_root/requirements/torch.txt" \
  -r "$repo_root/requirements/runtime.txt" -r "$repo_root/requirements/tests.txt" \
  -r "$repo_root/requirements/export.txt"
# mmpose's metadata requires chumpy, which builds only without build isolation (see
# requirements/mmpose.txt) with runtime.txt's setuptools; with it installed, pip's resolver
# accepts mmpose and this project.
pip_install --no-build-isolation "$(grep '^chumpy' "$repo_root/requirements/mmpose.txt")"
pip_install -r "$repo_root/requirements/mmpose.txt"
# The distribution was named diffhand_mm before it became diffhand (setup.py says why); an old
# install of that name would hide the new one from MMEngine's config lookup.
"$venv_dir/bin/python" -m pip uninstall -y -q diffhand_mm > /dev/null 2>&1 || true
pip_install --no-deps --no-build-isolation -e "$repo_root"

"$venv_dir/bin/python" -c "import diffhand_mm, mmpose.datasets, timm" \
  || { echo "[setup_env] import check failed" >&2; exit 1; }
echo "$wanted_stamp" > "$stamp_file"
echo "[setup_env] ready: $venv_dir"
