"""The project's registries, scope ``depth_condition``: children of diffhand_mm's, so that
names built inside this scope also find diffhand_mm's (and MMPose's, MMEngine's) parts.

The project's configs keep diffhand_mm's default scope and name our parts by class (or
``depth_condition.<Name>`` from any scope).
"""
from mmengine.registry import Registry

from diffhand_mm import registry as diffhand

SCOPE = 'depth_condition'

MODELS = Registry('model', parent=diffhand.MODELS, scope=SCOPE, locations=['depth_condition'])
TRANSFORMS = Registry('transform', parent=diffhand.TRANSFORMS, scope=SCOPE,
                      locations=['depth_condition'])
#: Depth sources (``dict(type=RenderedDepthSource, ...)``), see ``depth_condition.sources``.
DEPTH_SOURCES = Registry('depth source', scope=SCOPE, locations=['depth_condition'])
