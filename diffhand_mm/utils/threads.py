"""How many CPU threads torch uses: a default for shared machines, and the ``--threads`` flag.

PyTorch starts one intra-op thread per core. On a machine other jobs also use, those threads
wait for each other at every operation: measured on our shared 2-core machine
(docs/benchmarks.md "Threads"), two threads made inference and training slower than one, by
far when the machine was busy. The default here ("auto") therefore takes only the cores the
other processes leave idle: the cores this process may run on minus the 1-minute load
average, at least 1, shared among the processes a launcher starts on this machine
(``LOCAL_WORLD_SIZE``). An explicit ``OMP_NUM_THREADS`` in the environment is the user's
choice and wins over "auto"; ``--threads N`` wins over both.
"""
import math
import os
from typing import Optional, Union

import torch

Threads = Union[int, str, None]


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity; all CPUs where that is unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def idle_cores(cores: Optional[int] = None, load: Optional[float] = None) -> int:
    """Usable cores minus the 1-minute load average, rounded down, at least 1.

    Args:
        cores: Usable cores (default: :func:`usable_cores`).
        load: Load average (default: ``os.getloadavg()[0]``; 0 where unknown).
    """
    cores = usable_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    return max(1, min(cores, math.floor(cores - load + 0.5)))


def resolve_threads(threads: Threads = 'auto') -> Optional[int]:
    """The thread count ``threads`` asks for, or None to leave torch's setting alone.

    Args:
        threads: A positive int; ``'auto'`` / None: ``OMP_NUM_THREADS`` when set (then torch
            already uses it: None), else :func:`idle_cores` divided among the launcher's
            processes on this machine; a numeric string is an int.

    Raises:
        ValueError: not a positive int, 'auto' or None.
    """
    if threads is None or threads == 'auto':
        if os.environ.get('OMP_NUM_THREADS'):
            return None
        processes = max(1, int(os.environ.get('LOCAL_WORLD_SIZE', '1') or 1))
        return max(1, idle_cores() // processes)
    count = 0
    if isinstance(threads, int) and not isinstance(threads, bool):
        count = threads
    elif isinstance(threads, str) and threads.strip().isdigit():
        count = int(threads)
    if count < 1:
        raise ValueError(f"threads must be a positive integer or 'auto', got {threads!r}.")
    return count


def configure_threads(threads: Threads = 'auto') -> int:
    """Set torch's intra-op thread count as :func:`resolve_threads` says; returns the count
    torch uses afterwards."""
    count = resolve_threads(threads)
    if count is not None:
        torch.set_num_threads(count)
    return torch.get_num_threads()


def _threads_value(text: str) -> Threads:
    """argparse type of ``--threads``: 'auto' or a positive int."""
    import argparse
    if text == 'auto':
        return text
    try:
        return resolve_threads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_threads_argument(parser) -> None:
    """``--threads N|auto`` on an argparse parser (the tools' common flag)."""
    parser.add_argument(
        '--threads', default='auto', type=_threads_value, metavar='N|auto',
        help="torch CPU threads (default 'auto': OMP_NUM_THREADS when set, else the cores "
        'other processes leave idle, at least 1; see diffhand_mm/utils/threads.py)')
