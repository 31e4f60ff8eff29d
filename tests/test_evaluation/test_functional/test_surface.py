import numpy as np
import pytest

from diffhand_mm.evaluation.functional import (dihedral_angle_errors, dihedral_angles,
                                               interior_edges)

# Two triangles sharing the edge (0, 1) along x, folded along it: vertex 3 is lifted in z.
SQUARE_FACES = np.array([[0, 1, 2], [1, 0, 3]])


def _folded_square(angle_deg):
    """A unit square split along its x-axis edge, the half with vertex 3 turned about x."""
    a = np.radians(angle_deg)
    return np.array([[0, 0, 0], [1, 0, 0], [0.5, 1, 0], [0.5, -np.cos(a), np.sin(a)]], float)


def test_interior_edges_of_two_triangles_and_a_boundary():
    first, second, edges = interior_edges(SQUARE_FACES)
    np.testing.assert_array_equal(first, [0])
    np.testing.assert_array_equal(second, [1])
    np.testing.assert_array_equal(edges, [[0, 1]])  # as it runs in face 0


def test_dihedral_angle_of_a_fold_and_its_sign():
    assert dihedral_angles(_folded_square(0), SQUARE_FACES) == pytest.approx([0.0], abs=1e-12)
    up = dihedral_angles(_folded_square(30), SQUARE_FACES)
    down = dihedral_angles(_folded_square(-30), SQUARE_FACES)
    np.testing.assert_allclose(np.degrees(np.abs(up)), [30.0], atol=1e-9)
    np.testing.assert_allclose(up, -down, atol=1e-12)


def test_roughness_is_zero_for_a_similar_mesh_and_grows_with_scatter():
    rng = np.random.default_rng(0)
    faces = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 1]])  # a pyramid without base
    apex = np.array([[0, 0, 0.5], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]], float)
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    moved = 2.0 * apex @ rotation.T + 1.0
    assert dihedral_angle_errors(apex[None], moved[None], faces) == pytest.approx([0.0],
                                                                                 abs=1e-9)
    small = dihedral_angle_errors(apex[None], (apex + rng.normal(0, 0.01, apex.shape))[None],
                                  faces)
    large = dihedral_angle_errors(apex[None], (apex + rng.normal(0, 0.1, apex.shape))[None],
                                  faces)
    assert 0 < small[0] < large[0]


def test_roughness_of_a_known_fold_and_wrapping_past_180():
    # The same square folded by 170 and -170 degrees: the folds differ by 20 degrees, not 340.
    gt, pred = _folded_square(170)[None], _folded_square(-170)[None]
    np.testing.assert_allclose(dihedral_angle_errors(gt, pred, SQUARE_FACES), [20.0], atol=1e-9)
    np.testing.assert_allclose(
        dihedral_angle_errors(_folded_square(10)[None], _folded_square(40)[None], SQUARE_FACES),
        [30.0], atol=1e-9)


def test_non_manifold_and_bad_shapes_are_errors():
    with pytest.raises(ValueError, match='shared by 3 faces'):
        interior_edges(np.array([[0, 1, 2], [1, 0, 3], [0, 1, 4]]))
    with pytest.raises(ValueError, match='same shape'):
        dihedral_angle_errors(np.zeros((1, 4, 3)), np.zeros((1, 5, 3)), SQUARE_FACES)
    with pytest.raises(ValueError, match='meshes have 3 vertices'):
        dihedral_angles(np.zeros((3, 3)), SQUARE_FACES)
