"""Reading pickles that cannot run code: an allowlist of the classes a file format needs.

``pickle.load`` calls whatever a file names (``os.system`` included), so a file fetched from
anywhere (MANO files are passed around because of their licence) could run commands on load.
:class:`AllowlistUnpickler` resolves only the globals it was given and refuses anything else
with an error naming the class and the file. :data:`NUMPY_GLOBALS` is what numpy arrays,
scalars and dtypes need; formats with more (MANO's chumpy objects) add stand-ins of their own.
"""
import _compat_pickle
import codecs
import collections
import copyreg
import os.path as osp
import pickle
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from .cli import InputError

Global = Tuple[str, str]


class RefusedPickleError(InputError, pickle.UnpicklingError):
    """A pickle names a class or function outside the allowlist of its format."""


def _numpy_globals() -> Dict[Global, Any]:
    multiarray = np.core.multiarray
    # Python 3 pickles of protocol < 3 store an array's bytes as _codecs.encode(text, 'latin1').
    table = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype,
             ('_codecs', 'encode'): codecs.encode}
    # numpy 1.x writes numpy.core.*, numpy 2.x writes numpy._core.*: accept both spellings.
    for core in ('numpy.core', 'numpy._core'):
        table[(f'{core}.multiarray', '_reconstruct')] = multiarray._reconstruct
        table[(f'{core}.multiarray', 'scalar')] = multiarray.scalar
        # protocol 5 stores an array as a buffer: _frombuffer(bytes, dtype, shape, order)
        table[(f'{core}.numeric', '_frombuffer')] = np.core.numeric._frombuffer
    # Newer numpy pickles dtypes through their classes (numpy.dtypes.Float64DType ...).
    for code in '?bBhHiIlLqQefdgFDGSUV':
        dtype_class = type(np.dtype(code))
        table[('numpy.dtypes', dtype_class.__name__)] = dtype_class
    return table


#: Arrays, scalars and dtypes of numpy.
NUMPY_GLOBALS: Dict[Global, Any] = _numpy_globals()

#: Plain Python containers and protocol-0/1 object pickles
#: (``copy_reg._reconstructor(cls, object, state)``: safe, since the class it instantiates must
#: itself pass the allowlist). Objects' state dicts hold sets (chumpy's ``_dirty_vars``).
OBJECT_GLOBALS: Dict[Global, Any] = {
    ('copyreg', '_reconstructor'): copyreg._reconstructor, ('builtins', 'object'): object,
    ('builtins', 'set'): set, ('builtins', 'frozenset'): frozenset,
    ('builtins', 'complex'): complex, ('collections', 'OrderedDict'): collections.OrderedDict}


def _python3_name(module: str, name: str) -> Global:
    """Python 2 module / class names (``copy_reg``, ``__builtin__``) as Python 3 spells them."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class AllowlistUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of ``allowed``.

    Args:
        file: Binary file object.
        source: The file's path, for messages.
        allowed: ``{(module, name): object}``; Python 2 names are mapped to Python 3 first.
        what: What the file should be and hold, for messages (e.g. ``'a MANO model file
            (numpy and chumpy arrays, scipy sparse matrices)'``).
        **kwargs: ``encoding`` / ``errors`` of :class:`pickle.Unpickler`.

    Raises:
        RefusedPickleError: on load, naming the class and the file, for any other global.
    """

    def __init__(self, file, source: str, allowed: Mapping[Global, Any],
                 what: str = 'a file of numpy arrays', **kwargs):
        super().__init__(file, **kwargs)
        self.source = source
        self.allowed = dict(allowed)
        self.what = what

    def find_class(self, module: str, name: str):
        key = _python3_name(module, name)
        if key in self.allowed:
            return self.allowed[key]
        raise RefusedPickleError(
            f'{self.source}: refused to load `{module}.{name}`, which the file asks for: '
            f'{self.what} never holds it (the file may have been tampered with; get it again '
            'from its official source). Nothing from the file was run.')


def load_pickle(path: str, allowed: Optional[Mapping[Global, Any]] = None,
                what: str = 'a file of numpy arrays', encoding: str = 'ASCII',
                unpickler: type = AllowlistUnpickler) -> Any:
    """Load a pickle file with an allowlist (default: :data:`NUMPY_GLOBALS`).

    Args:
        path: The file.
        allowed: Globals the format needs; numpy's by default.
        what: What the file should be, for messages.
        encoding: As for :class:`pickle.Unpickler` (``'latin1'`` for Python 2 files).
        unpickler: An :class:`AllowlistUnpickler` subclass, for formats with stand-ins.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        RefusedPickleError: the file names a global outside the allowlist.
        InputError: the file is not a readable pickle (truncated, corrupt).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: file not found')
    with open(path, 'rb') as f:
        try:
            return unpickler(f, path, NUMPY_GLOBALS if allowed is None else allowed, what=what,
                             encoding=encoding).load()
        except RefusedPickleError:
            raise
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
                TypeError, ValueError) as err:
            raise InputError(f'{path}: not a readable pickle ({type(err).__name__}: {err}); '
                             f'expected {what}') from err
