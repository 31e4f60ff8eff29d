"""Files that are either complete or absent: write a hidden partial file, then rename.

A process killed while writing (SIGKILL, a full disk, a crash) leaves at most a hidden
``.<stem>.partial-<pid><ext>`` beside the target, never a truncated target: ``os.replace`` is atomic
on POSIX file systems, so readers see the old file or the new one. Partial files of dead
writers can be removed with :func:`remove_stale_partials`.
"""
import contextlib
import glob
import os
import os.path as osp
import re
from typing import IO, Iterator, List

PARTIAL_MARK = '.partial-'


def partial_path(path: str) -> str:
    """The hidden file ``path`` is written to before it is renamed into place; it keeps the
    extension (writers such as OpenCV's choose the format by it)."""
    folder, name = osp.split(osp.abspath(path))
    stem, ext = osp.splitext(name)
    return osp.join(folder, f'.{stem}{PARTIAL_MARK}{os.getpid()}{ext}')


@contextlib.contextmanager
def atomic_open(path: str, mode: str = 'w', encoding: str = None) -> Iterator[IO]:
    """Open ``path`` for writing so that it appears only once completely written.

    The data go to :func:`partial_path`, are flushed to disk, and the file is renamed to
    ``path`` when the block ends without an error; on an error the partial file is removed
    and ``path`` is left as it was.

    Args:
        path: The target file (its folder is created).
        mode: ``'w'`` or ``'wb'``.
        encoding: Text encoding (text mode).
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = partial_path(path)
    try:
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, 'wb') as f:
        f.write(data)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_partials(folder: str) -> List[str]:
    """Remove the partial files in ``folder`` whose writer process is gone (this host).

    Returns:
        The removed paths.
    """
    removed = []
    for tmp in glob.glob(osp.join(glob.escape(folder), f'.*{PARTIAL_MARK}*')):
        match = re.search(re.escape(PARTIAL_MARK) + r'(\d+)', osp.basename(tmp))
        pid = int(match.group(1)) if match else None
        if pid is not None and pid != os.getpid() and not _pid_alive(pid):
            with contextlib.suppress(FileNotFoundError):
                os.remove(tmp)
            removed.append(tmp)
    return removed
