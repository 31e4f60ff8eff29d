"""The project's package is imported as a top-level one (README: PYTHONPATH)."""
import os.path as osp
import sys

PROJECT_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(osp.dirname(PROJECT_ROOT))
if PROJECT_ROOT not in sys.path:
    sys.path.insert(0, PROJECT_ROOT)
