#!/usr/bin/env bash
# The project's test command: set up .venv when needed (idempotent), then run the test suite.
#   bash tools/run_tests.sh                 # everything
#   bash tools/run_tests.sh tests/test_hand # a subset; extra arguments go to pytest
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
bash tools/setup_env.sh
# One thread per process: the suite runs on 2-core machines, and tests spawn processes.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
set +e
.venv/bin/python -m pytest -q "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "run_tests: pytest collected no tests; treating that as a failure" >&2
fi
exit $status
