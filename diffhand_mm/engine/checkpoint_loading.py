"""Resume-safe checkpoint loading under PyTorch's ``weights_only=True`` default.

Since PyTorch 2.6, ``torch.load`` refuses pickled objects that are not on an allowlist, and
mmengine 0.10.7 calls it without ``weights_only``. A runner checkpoint holds the message hub's
``HistoryBuffer`` objects and numpy arrays, so ``resume=True`` fails with "Weights only load
failed". Turning ``weights_only`` off would let a checkpoint run arbitrary code; instead we keep
the safe unpickler and allow exactly the globals an MMEngine runner writes:

- ``mmengine.logging.HistoryBuffer`` and the numpy reconstruction helpers for its arrays;
- ``builtins.getattr``, which pickle uses to reference ``HistoryBuffer.min`` etc. (functions
  stored in the buffer's statistics table). It is mapped to :func:`_history_buffer_getattr`,
  which only resolves those statistic methods, never arbitrary attributes.
"""
import os.path as osp

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


_BUILTIN_STATISTICS = {'min', 'max', 'current', 'mean'}


def _history_buffer_getattr(owner, name: str):
    """A ``getattr`` that only resolves ``HistoryBuffer`` statistic methods.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    import pickle

    # The built-in statistics are added to the table lazily (first HistoryBuffer created), so
    # a fresh process that only loads a checkpoint must know them by name.
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for attribute {name!r} of {owner!r}; only HistoryBuffer statistic '
        'methods are allowed when loading with weights_only=True.')


def _numpy_globals() -> list:
    multiarray = np.core.multiarray
    dtype_classes = [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGSUO']
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtype_classes


RUNNER_CHECKPOINT_GLOBALS = [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')
                             ] + _numpy_globals()


def load_local_checkpoint(filename: str, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the runner's allowlist.

    Args:
        filename: Path of a ``.pth`` file.
        map_location: As for :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If ``filename`` is not a file (the message names it).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} does not exist.')
    with torch.serialization.safe_globals(RUNNER_CHECKPOINT_GLOBALS):
        return torch.load(filename, map_location=map_location, weights_only=True)


def install_checkpoint_loader() -> None:
    """Make MMEngine's local-file checkpoint scheme use :func:`load_local_checkpoint`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
