"""The paper's depth condition for diffhand_mm (Li et al. 2023, Sec. 3.3 "Extra condition").

Loaded by configs with ``custom_imports=dict(imports=['depth_condition'])`` and the project
folder on ``PYTHONPATH`` (see the project's README); components are registered in the
project's scope, ``depth_condition`` (``registry.py``).
"""
from .midas import MidasDepthSource, build_midas_dpt
from .model import DepthBranch, DepthConditionedDiffHand
from .preprocessor import RGBDDataPreprocessor
from .registry import DEPTH_SOURCES, MODELS, TRANSFORMS
from .sources import (DepthSource, RenderedDepthSource, build_depth_source,
                      degrade_to_monocular, normalize_relative)
from .transforms import LoadDepthCondition, PackRGBDInputs

__all__ = [
    'MODELS', 'TRANSFORMS', 'DEPTH_SOURCES', 'DepthSource', 'RenderedDepthSource',
    'MidasDepthSource', 'build_midas_dpt', 'build_depth_source', 'degrade_to_monocular',
    'normalize_relative', 'DepthBranch', 'DepthConditionedDiffHand', 'RGBDDataPreprocessor',
    'LoadDepthCondition', 'PackRGBDInputs'
]
