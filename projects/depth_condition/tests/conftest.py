"""The project folder on sys.path, as ``PYTHONPATH=projects/depth_condition`` does for the tools;
the repository root too (for ``tests.`` helpers and ``tools``)."""
import os.path as osp
import sys

PROJECT_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(osp.dirname(PROJECT_DIR))
for path in (PROJECT_DIR, REPO_ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)
