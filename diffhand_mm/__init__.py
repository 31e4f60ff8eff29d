"""diffhand_mm: DiffHand hand mesh reconstruction as an MMPose / MMEngine plugin.

Importing the package is cheap: it creates the registries and nothing else. Components register
when their modules are imported, lazily through the registries' ``locations`` or eagerly with
:func:`register_all_modules`.
"""
from .version import __version__
from .utils.setup_env import register_all_modules

__all__ = ['__version__', 'register_all_modules']
