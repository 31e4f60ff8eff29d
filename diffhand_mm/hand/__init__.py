"""Hand models: the open template, the chumpy-free MANO loader, LBS, joint orders, mirroring,
an anatomical pose sampler and a pose prior. A leaf package every layer may use."""
from .hand_model import HandModel, HandOutput, mirror_arrays, mirror_pose
from .joint_orders import (FINGERTIP_NAMES, FREIHAND_FINGERTIP_IDS, HO3D_JOINT_NAMES,
                           HO3D_TO_OPENPOSE, MANO16_TO_OPENPOSE21, MANO_JOINT_NAMES,
                           MANO_PARENTS, OPENPOSE_JOINT_NAMES, OPENPOSE_TO_HO3D,
                           SMPLX_FINGERTIP_IDS)
from .mano import MANOHandModel, load_mano_pickle
from .open_hand import OpenHandModel
from .pose_prior import HandPosePrior
from .pose_sampler import HandPoseSampler

__all__ = [
    'HandModel', 'HandOutput', 'OpenHandModel', 'MANOHandModel', 'load_mano_pickle',
    'mirror_pose', 'mirror_arrays', 'HandPoseSampler', 'HandPosePrior', 'MANO_JOINT_NAMES',
    'MANO_PARENTS', 'OPENPOSE_JOINT_NAMES', 'HO3D_JOINT_NAMES', 'FINGERTIP_NAMES',
    'MANO16_TO_OPENPOSE21', 'HO3D_TO_OPENPOSE', 'OPENPOSE_TO_HO3D', 'FREIHAND_FINGERTIP_IDS',
    'SMPLX_FINGERTIP_IDS'
]
