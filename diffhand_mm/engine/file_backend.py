"""A local file backend whose writes are atomic, for MMEngine's checkpoint saving.

MMEngine's ``CheckpointHook`` writes ``iter_N.pth``, the best checkpoint and
``last_checkpoint`` through a file backend chosen by its ``backend_args``. The stock
``LocalBackend`` opens the target and writes into it, so a run killed while saving leaves a
truncated ``iter_N.pth`` beside the good ones (and a ``last_checkpoint`` pointing at it).
``AtomicLocalBackend`` writes a hidden partial file and renames it into place
(:mod:`diffhand_mm.utils.atomic_io`). Select it with::

    default_hooks = dict(checkpoint=dict(type='CheckpointHook',
                                         backend_args=dict(backend='atomic_local')))
"""
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

from diffhand_mm.utils.atomic_io import atomic_open, atomic_write_bytes


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """:class:`mmengine.fileio.LocalBackend` with ``put`` / ``put_text`` that never leave a
    partly written file under the target's name."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(str(filepath), obj)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        with atomic_open(str(filepath), 'w', encoding=encoding) as f:
            f.write(obj)
