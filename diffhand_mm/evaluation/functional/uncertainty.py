"""Does a predicted uncertainty say where the error is? Rank correlation and sparsification.

Both take one uncertainty and one actual error per item (e.g. per vertex of every test mesh),
any units, flattened. Sparsification (Ilg et al., "Uncertainty Estimates and Multi-Hypotheses
Networks for Optical Flow", ECCV 2018): remove the items the uncertainty calls least certain,
a growing fraction at a time, and follow the mean error of what is left; the oracle removes
the items of largest actual error, so its curve is the best any uncertainty can do. The area
between the two curves (AUSE) is 0 for a perfect ranking; a random ranking keeps the curve
flat at the overall mean.
"""
from typing import Dict

import numpy as np
from scipy.stats import spearmanr

#: Fractions removed, 0 to 0.95 in steps of 0.05 (all items removed has no mean).
DEFAULT_FRACTIONS = np.round(np.arange(0.0, 0.951, 0.05), 2)


def _flat_pair(uncertainty: np.ndarray, error: np.ndarray):
    uncertainty = np.asarray(uncertainty, dtype=np.float64).reshape(-1)
    error = np.asarray(error, dtype=np.float64).reshape(-1)
    if uncertainty.shape != error.shape or uncertainty.size < 2:
        raise ValueError(f'need one uncertainty per error (at least 2), got {uncertainty.size} '
                         f'uncertainties and {error.size} errors')
    if not (np.isfinite(uncertainty).all() and np.isfinite(error).all()):
        raise ValueError('uncertainties and errors must be finite')
    return uncertainty, error


def rank_correlation(uncertainty: np.ndarray, error: np.ndarray) -> float:
    """Spearman's rank correlation between uncertainty and error (1: same order)."""
    uncertainty, error = _flat_pair(uncertainty, error)
    return float(spearmanr(uncertainty, error).statistic)


def _remaining_means(order: np.ndarray, error: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Mean error of the items left after removing the first ``fraction`` of ``order``."""
    sorted_errors = error[order]
    # suffix sums: mean of sorted_errors[k:] for every k
    suffix = np.cumsum(sorted_errors[::-1])[::-1]
    kept_from = np.minimum(np.round(fractions * error.size).astype(int), error.size - 1)
    return suffix[kept_from] / (error.size - kept_from)


def sparsification(uncertainty: np.ndarray, error: np.ndarray,
                   fractions: np.ndarray = DEFAULT_FRACTIONS) -> Dict[str, np.ndarray]:
    """Sparsification curves of an uncertainty and of the oracle, and the area between them.

    Args:
        uncertainty: Any shape, one value per item (larger: less certain).
        error: Same number of items, the actual errors.
        fractions: (R,) fractions of the items removed, each in [0, 1).

    Returns:
        dict: ``fractions`` (R,), ``curve`` (R,) mean error left when removing by uncertainty,
        ``oracle`` (R,) when removing by error, ``random`` (R,) the overall mean (what an
        uninformative uncertainty gives on average), and ``ause`` (float): the trapezoid area
        between ``curve`` and ``oracle`` over ``fractions``, in the errors' unit.
    """
    uncertainty, error = _flat_pair(uncertainty, error)
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.ndim != 1 or fractions.size < 2 or fractions.min() < 0 or fractions.max() >= 1:
        raise ValueError(f'fractions must be at least 2 values in [0, 1), got {fractions}')
    # Ties in the uncertainty are broken by the item's position, not by its error.
    curve = _remaining_means(np.argsort(-uncertainty, kind='stable'), error, fractions)
    oracle = _remaining_means(np.argsort(-error, kind='stable'), error, fractions)
    gap = curve - oracle
    ause = float(np.sum((gap[1:] + gap[:-1]) * np.diff(fractions)) / 2)
    return dict(fractions=fractions, curve=curve, oracle=oracle,
                random=np.full_like(fractions, error.mean()), ause=ause)
