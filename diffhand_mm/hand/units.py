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


#: How many of each unit make a metre.
UNITS_PER_METRE = {'metres': 1.0, 'centimetres': 100.0, 'millimetres': 1000.0}


def unit_problem(extent: float, unit: str = 'metres') -> Optional[str]:
    """None if a hand whose joints span ``extent`` (in the numbers as stored) is plausible in
    ``unit``, else a phrase saying what the numbers look like, e.g. ``'spans 183.2 (expected
    0.02-1 in metres): these look like millimetres'``."""
    low, high = HAND_EXTENT_RANGE_M
    per_metre = UNITS_PER_METRE[unit]
    if not np.isfinite(extent) or low <= extent / per_metre <= high:
        return None
    fits = [name for name, per in UNITS_PER_METRE.items() if low <= extent / per <= high]
    guess = f'these look like {fits[0]}' if fits else 'no unit makes this a hand'
    return (f'spans {extent:.4g} (expected {low * per_metre:g}-{high * per_metre:g} in '
            f'{unit}): {guess}')
