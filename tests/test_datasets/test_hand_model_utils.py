"""Meshes from dataset MANO parameters do not depend on the hand model's mean-pose setting."""
import numpy as np
import torch

from diffhand_mm.datasets.hand_model_utils import pca_to_full_pose, posed_vertices
from diffhand_mm.hand import OpenHandModel


def _model(flat_hand_mean):
    model = OpenHandModel(flat_hand_mean=flat_hand_mean).eval()
    # Our open hand's mean pose may be near zero; give it a clear one so the test can fail.
    model.pca_mean.copy_(torch.linspace(-0.3, 0.3, 45))
    return model


def test_full_pose_gives_the_same_mesh_with_and_without_flat_hand_mean():
    rng = np.random.default_rng(0)
    pose = (rng.normal(size=48) * 0.2).astype(np.float32)
    betas = np.zeros(10, np.float32)
    transl = np.array([0.01, -0.02, 0.5], np.float32)
    flat = posed_vertices(_model(True), pose, betas, transl)
    with_mean = posed_vertices(_model(False), pose, betas, transl)
    np.testing.assert_allclose(with_mean, flat, atol=1e-6)


def test_pca_pose_adds_the_mean_once():
    model = _model(False)
    coeffs = np.zeros(3 + 45, np.float32)
    full = pca_to_full_pose(model, coeffs)
    np.testing.assert_allclose(full[3:], model.pca_mean.numpy(), atol=1e-6)
    # Posed through the model, zero coefficients give the mean pose, not twice the mean.
    verts = posed_vertices(model, full, np.zeros(10, np.float32), np.zeros(3, np.float32))
    expected = model(pca_pose=torch.zeros(1, 45)).vertices[0].detach().numpy()
    np.testing.assert_allclose(verts, expected, atol=1e-6)
