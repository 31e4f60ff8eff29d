"""The project's registry: a child of MMEngine's, as a third-party project's would be."""
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='keypoint_diffusion',
                  locations=['keypoint_diffusion.estimator'])
