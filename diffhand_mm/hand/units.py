"""Is an array of hand joints in metres? A check by the size of a hand.

Everything inside diffhand_mm is in metres. A human hand's 21 joints fill a box whose diagonal
is roughly 0.1-0.25 m; labels or predictions in millimetres (or centimetres) are a thousand
(a hundred) times larger and give errors of hundreds of metres without any other sign.
"""
import warnings
from typing import Optional

import numpy as np

#: Joint-box diagonals accepted as a hand in metres (wide on purpose: only units are judged).
HAND_EXTENT_RANGE_M = (0.02, 1.0)


def joint_extents(joints: np.ndarray) -> np.ndarray:
    """Diagonal of the axis-aligned box of each hand's joints.

    Args:
        joints: (N, J, 3) points; NaN rows are ignored.

    Returns:
        (N,) float64 in the unit of ``joints`` (NaN for a hand without finite joints).
    """
    joints = np.asarray(joints, dtype=np.float64)
    with warnings.catch_warnings():  # all-NaN hands: NaN, said by the docstring
        warnings.simplefilter('ignore', RuntimeWarning)
        return np.linalg.norm(np.nanmax(joints, axis=1) - np.nanmin(joints, axis=1), axis=-1)


def unit_problem(extent_m: float) -> Optional[str]:
    """None if a hand of this joint-box diagonal (metres assumed) is plausible, else a phrase
    saying what its size suggests, e.g. ``'a hand 183.2 m across: these look like
    millimetres'``."""
    low, high = HAND_EXTENT_RANGE_M
    if not np.isfinite(extent_m) or low <= extent_m <= high:
        return None
    if extent_m > 20:
        guess = 'these look like millimetres'
    elif extent_m > high:
        guess = 'these look like centimetres'
    else:
        guess = 'too small for a hand in metres'
    return (f'a hand {extent_m:.4g} m across (expected {low}-{high} m: metres are required), '
            f'{guess}')
