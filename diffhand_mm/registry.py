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
"""
from mmengine.registry import Registry
from mmpose import registry as mmpose_registry

SCOPE = 'diffhand_mm'


def _child(name: str, parent: Registry, locations: list) -> Registry:
    return Registry(name, parent=parent, scope=SCOPE, locations=locations)


# Runner parts
RUNNERS = _child('runner', mmpose_registry.RUNNERS, ['diffhand_mm.engine'])
RUNNER_CONSTRUCTORS = _child('runner constructor', mmpose_registry.RUNNER_CONSTRUCTORS, [])
LOOPS = _child('loop', mmpose_registry.LOOPS, ['diffhand_mm.engine'])
HOOKS = _child('hook', mmpose_registry.HOOKS, ['diffhand_mm.engine', 'mmpose.engine.hooks'])
LOG_PROCESSORS = _child('log processor', mmpose_registry.LOG_PROCESSORS, [])
OPTIMIZERS = _child('optimizer', mmpose_registry.OPTIMIZERS, [])
OPTIM_WRAPPERS = _child('optim_wrapper', mmpose_registry.OPTIM_WRAPPERS, [])
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
VISUALIZERS = _child('visualizer', mmpose_registry.VISUALIZERS, [])
VISBACKENDS = _child('vis_backend', mmpose_registry.VISBACKENDS, [])


def type_name(type_) -> str:
    """The registered name of a config's ``type``, whichever way the config spells it.

    Our configs name classes (``type=HandCrop``, MMEngine's pure-Python style); older and user
    configs name strings, possibly scope-prefixed (``'diffhand_mm.HandCrop'``). Code that looks
    for a component in a config compares ``type_name(cfg['type'])`` with the plain name.
    """
    if isinstance(type_, str):
        return type_.rsplit('.', 1)[-1]
    return getattr(type_, '__name__', str(type_))
