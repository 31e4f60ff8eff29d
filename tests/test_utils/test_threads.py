"""Thread defaults for shared machines and the --threads flag."""
import argparse

import pytest
import torch

from diffhand_mm.utils import threads
from diffhand_mm.utils.threads import (add_threads_argument, configure_threads, idle_cores,
                                       resolve_threads)


def test_idle_cores_leaves_the_load_of_other_processes_alone():
    assert idle_cores(cores=16, load=0.2) == 16
    assert idle_cores(cores=16, load=5.6) == 10
    assert idle_cores(cores=2, load=6.0) == 1  # busy machine: one thread, never zero
    assert idle_cores(cores=4, load=-1.0) == 4  # never more than the usable cores


def test_auto_respects_omp_num_threads_and_shares_cores_among_local_processes(monkeypatch):
    monkeypatch.setattr(threads, 'idle_cores', lambda: 8)
    monkeypatch.setenv('OMP_NUM_THREADS', '3')
    assert resolve_threads('auto') is None  # torch already follows the user's variable
    monkeypatch.delenv('OMP_NUM_THREADS')
    assert resolve_threads('auto') == resolve_threads(None) == 8
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '3')  # torchrun with 3 processes on this machine
    assert resolve_threads('auto') == 2
    assert resolve_threads(5) == resolve_threads('5') == 5
    for bad in (0, -2, 'many', 1.5):
        with pytest.raises(ValueError, match='positive integer'):
            resolve_threads(bad)


def test_flag_sets_torch_threads_and_rejects_nonsense(capsys):
    parser = argparse.ArgumentParser()
    add_threads_argument(parser)
    assert parser.parse_args([]).threads == 'auto'
    previous = torch.get_num_threads()
    try:
        assert configure_threads(parser.parse_args(['--threads', '1']).threads) == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(previous)
    with pytest.raises(SystemExit):
        parser.parse_args(['--threads', 'zero'])
    assert 'positive integer' in capsys.readouterr().err
