import numpy as np
import pytest

from diffhand_mm.evaluation.functional import rank_correlation, sparsification


def test_a_perfect_ranking_follows_the_oracle():
    error = np.array([1.0, 4.0, 2.0, 3.0])
    result = sparsification(2 * error + 7, error, fractions=[0.0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(result['oracle'], [2.5, 2.0, 1.5, 1.0])
    np.testing.assert_allclose(result['curve'], result['oracle'])
    assert result['ause'] == pytest.approx(0.0)
    assert rank_correlation(2 * error + 7, error) == pytest.approx(1.0)


def test_a_reversed_ranking_is_worse_than_random_and_its_area_is_hand_computed():
    error = np.array([1.0, 4.0, 2.0, 3.0])
    result = sparsification(-error, error, fractions=[0.0, 0.25, 0.5, 0.75])
    # removing the smallest errors first: means of [4,3,2], [4,3], [4]
    np.testing.assert_allclose(result['curve'], [2.5, 3.0, 3.5, 4.0])
    np.testing.assert_allclose(result['random'], 2.5)
    # gaps 0, 1, 2, 3 at steps of 0.25: trapezoids 0.125 + 0.375 + 0.625
    assert result['ause'] == pytest.approx(1.125)
    assert rank_correlation(-error, error) == pytest.approx(-1.0)


def test_per_vertex_arrays_are_flattened_and_mismatches_are_errors():
    rng = np.random.default_rng(0)
    error = rng.random((5, 778))
    noisy = error + rng.normal(0, 0.3, error.shape)
    assert 0.3 < rank_correlation(noisy, error) < 0.95
    result = sparsification(noisy, error)
    assert result['curve'][-1] < result['random'][-1]  # removing uncertain vertices helps
    assert 0 < result['ause']
    with pytest.raises(ValueError, match='one uncertainty per error'):
        rank_correlation(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match='fractions'):
        sparsification(noisy, error, fractions=[0.0, 1.0])
