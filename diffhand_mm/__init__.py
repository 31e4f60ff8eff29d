"""diffhand_mm: DiffHand hand mesh reconstruction as an MMPose / MMEngine plugin.

Importing the package is cheap: it creates the registries and installs the resume-safe
checkpoint loader (see :mod:`diffhand_mm.engine`), nothing else. Components register
when their modules are imported, lazily through the registries' ``locations`` or eagerly with
:func:`register_all_modules`.
"""
from . import engine  # noqa: F401  (installs the resume-safe checkpoint loader)
from .utils.setup_env import register_all_modules
from .version import __version__

__all__ = ['__version__', 'register_all_modules']


def __getattr__(name: str):
    """Resolve ``diffhand_mm.<ComponentName>`` to a registered component class.

    MMEngine searches a scope prefix (``type='diffhand_mm.DiffusionMeshHead'``) only among the
    root registry's direct children and the current registry's children. Our registries are
    children of MMPose's, so from an MMPose scope the prefix resolves directly; from any other
    project's scope MMEngine falls back to importing the dotted path, which lands here.
    """
    if name.startswith('__'):
        raise AttributeError(name)
    from . import registry
    register_all_modules(init_default_scope=False)
    for reg in (registry.MODELS, registry.DATASETS, registry.TRANSFORMS, registry.METRICS,
                registry.HOOKS, registry.VISUALIZERS, registry.RUNNERS):
        if name in reg.module_dict:
            return reg.module_dict[name]
    raise AttributeError(f'module {__name__!r} has no attribute or registered component {name!r}')
