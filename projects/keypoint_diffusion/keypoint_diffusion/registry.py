"""The project's registries: scope ``keypoint_diffusion``, children of MMEngine's, as a
third-party project's would be (not of diffhand_mm's: diffhand_mm's parts are named with the
``diffhand_mm.`` prefix or imported as classes). Every root the runner builds from has a child
here, so the runner finds the project's scope for each of them."""
from mmengine import registry as root
from mmengine.registry import Registry

SCOPE = 'keypoint_diffusion'


def _child(name: str, parent: Registry, locations=()) -> Registry:
    return Registry(name, parent=parent, scope=SCOPE, locations=list(locations))


MODELS = _child('model', root.MODELS, ['keypoint_diffusion.estimator'])
RUNNERS = _child('runner', root.RUNNERS)
RUNNER_CONSTRUCTORS = _child('runner constructor', root.RUNNER_CONSTRUCTORS)
LOOPS = _child('loop', root.LOOPS)
HOOKS = _child('hook', root.HOOKS)
LOG_PROCESSORS = _child('log processor', root.LOG_PROCESSORS)
OPTIMIZERS = _child('optimizer', root.OPTIMIZERS)
OPTIM_WRAPPERS = _child('optim_wrapper', root.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    root.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = _child('parameter scheduler', root.PARAM_SCHEDULERS)
DATASETS = _child('dataset', root.DATASETS)
DATA_SAMPLERS = _child('data sampler', root.DATA_SAMPLERS)
TRANSFORMS = _child('transform', root.TRANSFORMS)
MODEL_WRAPPERS = _child('model_wrapper', root.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = _child('weight initializer', root.WEIGHT_INITIALIZERS)
METRICS = _child('metric', root.METRICS)
EVALUATOR = _child('evaluator', root.EVALUATOR)
VISUALIZERS = _child('visualizer', root.VISUALIZERS)
VISBACKENDS = _child('vis_backend', root.VISBACKENDS)
FUNCTIONS = _child('function', root.FUNCTIONS)
