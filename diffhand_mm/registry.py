"""Registries of diffhand_mm: one scope, ``diffhand_mm``, children of MMPose's registries.

Why children of MMPose (and not of MMEngine directly): a config in our scope can then name
MMPose's transforms and metrics (``LoadImage``, ``PCKAccuracy``...) and MMEngine's runner parts
(``AdamW``, ``CheckpointHook``...) without a scope prefix, while another OpenMMLab project can
build ours with the ``diffhand_mm.`` prefix.

Why the ``locations`` list only modules that import without compiled ops: MMEngine imports a
registry's locations lazily on first use. MMPose's own ``mmpose.models`` imports ``mmcv.ops``
and ``mmdet`` unconditionally and fails with ``mmcv-lite``; a parent registry's locations are
never imported when a child looks a name up, so the failing package is simply never touched.
MMPose's transforms, metrics, hooks and visualisers import fine and are listed here so that
their names resolve from our scope.

Why our registries build in their own scope (:func:`build_in_own_scope`): another project names
our head as ``type='diffhand_mm.DiffusionMeshHead'`` from its own default scope. MMEngine then
calls the class directly, still in the caller's scope, and every part the head builds in turn
(hand model, decoder, losses: unprefixed names) would be looked up in the caller's registries.
Building in the registry's own scope makes ``MODELS.build(dict(type='OpenHandModel'))`` inside
our code mean our ``OpenHandModel`` from any scope. Parts that MMEngine's base classes build with
MMEngine's own registries (a dataset's pipeline, a model's data preprocessor) are built inside
:func:`diffhand_scope` by our classes.
"""
import functools
from contextlib import contextmanager
from typing import Callable, Iterator

from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import DefaultScope, Registry
from mmpose import registry as mmpose_registry

SCOPE = 'diffhand_mm'


@contextmanager
def diffhand_scope() -> Iterator[None]:
    """Make ``diffhand_mm`` the default scope inside the block (the caller's is restored)."""
    with DefaultScope.overwrite_default_scope(SCOPE):
        yield


def _foreign_scope(cfg, registry: Registry):
    """The scope of a ``type='scope.Name'`` naming another registered scope, else None."""
    type_ = cfg.get('type') if hasattr(cfg, 'get') else None
    if not isinstance(type_, str) or '.' not in type_:
        return None
    scope, _ = Registry.split_scope_key(type_)
    if scope in (None, registry.scope):
        return None
    # Only real registry scopes: 'torch.nn.ReLU' is an import path, left to MMEngine.
    return scope if registry._get_root_registry()._search_child(scope) is not None else None


def build_in_own_scope(build_func: Callable) -> Callable:
    """Wrap a registry's build function so that it builds in that registry's scope.

    ``type='Name'`` and everything the built object builds in turn resolve in the registry's
    scope whatever the caller's default scope. ``type='other.Name'`` with another registered
    scope (a user's own loss inside our head) is built in *that* scope, through MMEngine's
    ``_scope_`` mechanism, so its own nested parts resolve there too.
    """
    @functools.wraps(build_func)
    def build(cfg, registry: Registry, *args, **kwargs):
        scope = _foreign_scope(cfg, registry)
        if scope is not None:
            cfg = dict(cfg, type=Registry.split_scope_key(cfg['type'])[1], _scope_=scope)
        with DefaultScope.overwrite_default_scope(registry.scope):
            return build_func(cfg, registry, *args, **kwargs)
    return build


def _child(name: str, parent: Registry, locations: list, own_scope: bool = True) -> Registry:
    build_func = build_in_own_scope(parent.build_func) if own_scope else None
    return Registry(name, parent=parent, scope=SCOPE, locations=locations, build_func=build_func)


# Runner parts
# A runner creates the default scope of its experiment, which a temporary scope would undo.
RUNNERS = _child('runner', mmpose_registry.RUNNERS, ['diffhand_mm.engine'], own_scope=False)
RUNNER_CONSTRUCTORS = _child('runner constructor', mmpose_registry.RUNNER_CONSTRUCTORS, [],
                             own_scope=False)
LOOPS = _child('loop', mmpose_registry.LOOPS, ['diffhand_mm.engine'])
HOOKS = _child('hook', mmpose_registry.HOOKS,
               ['diffhand_mm.engine', 'diffhand_mm.visualization', 'mmpose.engine.hooks'])
LOG_PROCESSORS = _child('log processor', mmpose_registry.LOG_PROCESSORS, [])
OPTIMIZERS = _child('optimizer', mmpose_registry.OPTIMIZERS, [])
OPTIM_WRAPPERS = _child('optim_wrapper', mmpose_registry.OPTIM_WRAPPERS, ['diffhand_mm.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    mmpose_registry.OPTIM_WRAPPER_CONSTRUCTORS, [])
PARAM_SCHEDULERS = _child('parameter scheduler', mmpose_registry.PARAM_SCHEDULERS, [])

# Data
DATASETS = _child('dataset', mmpose_registry.DATASETS, ['diffhand_mm.datasets', 'diffhand_mm.synth'])
DATA_SAMPLERS = _child('data sampler', mmpose_registry.DATA_SAMPLERS, [])
TRANSFORMS = _child('transform', mmpose_registry.TRANSFORMS,
                    ['diffhand_mm.datasets.transforms', 'mmpose.datasets.transforms'])

# Models. MMPose's own `mmpose.models` is deliberately absent (see the module docstring).
MODELS = _child('model', mmpose_registry.MODELS, ['diffhand_mm.models', 'diffhand_mm.hand'])
MODEL_WRAPPERS = _child('model_wrapper', mmpose_registry.MODEL_WRAPPERS, [])
WEIGHT_INITIALIZERS = _child('weight initializer', mmpose_registry.WEIGHT_INITIALIZERS, [])

# Evaluation and visualisation
METRICS = _child('metric', mmpose_registry.METRICS,
                 ['diffhand_mm.evaluation', 'mmpose.evaluation.metrics'])
EVALUATORS = _child('evaluator', mmpose_registry.EVALUATORS, [])
VISUALIZERS = _child('visualizer', mmpose_registry.VISUALIZERS, ['diffhand_mm.visualization'])
VISBACKENDS = _child('vis_backend', mmpose_registry.VISBACKENDS, [])
# MMEngine's functions (collate functions, FSDP wrap policies); MMPose has no such registry.
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, [])


def type_name(type_) -> str:
    """The registered name of a config's ``type``, whichever way the config spells it.

    Our configs name classes (``type=HandCrop``, MMEngine's pure-Python style); older and user
    configs name strings, possibly scope-prefixed (``'diffhand_mm.HandCrop'``). Code that looks
    for a component in a config compares ``type_name(cfg['type'])`` with the plain name.
    """
    if isinstance(type_, str):
        return type_.rsplit('.', 1)[-1]
    return getattr(type_, '__name__', str(type_))
