"""SynthHand: synthetic hands rendered with the open hand model."""
from .dataset import SynthHandOnlineDataset
from .generator import SynthHandGenerator, SynthSample
from .writer import VERSIONS, depth_to_png16, write_synthhand

__all__ = ['SynthHandGenerator', 'SynthSample', 'SynthHandOnlineDataset', 'VERSIONS',
           'depth_to_png16', 'write_synthhand']
