"""Fixtures shared by the launcher tests."""
import pytest

from tests.test_tools.launching import TOY_VAL_CONFIG, run_two_nodes


@pytest.fixture(scope='session')
def two_node_training(tmp_path_factory):
    """6 toy iterations on two simulated nodes of one process each (plain Runner, DDP, gloo),
    validated at the end: the reference the other launchers and strategies must reproduce."""
    root = tmp_path_factory.mktemp('two_nodes')
    run_two_nodes('dist_train.sh', TOY_VAL_CONFIG, '1', '--work-dir', str(root / 'work'),
                  '--cfg-options', f"val_evaluator.out_file={root / 'val.jsonl'}", cwd=root)
    return root
