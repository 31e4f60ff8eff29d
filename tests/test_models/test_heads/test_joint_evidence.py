"""Hypothesis selection with joint evidence from the image, and the head's selector hook."""
import pytest
import torch

from diffhand_mm.models.heads import (ConsensusSelector, JointEvidenceSelector,
                                      build_hypothesis_selector, similarity_align)
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples, small_head_cfg

import diffhand_mm.models  # noqa: F401


def _feats(batch=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 8, 4, 4, generator=gen), torch.randn(batch, 16, generator=gen)


def _rotation(seed, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))
    return (q * torch.sign(torch.det(q))).to(dtype)


def _identity_joints(vertices):
    """The 'regressor' of these tests: the first 21 vertices are the joints."""
    return vertices[:, :21]


def test_similarity_align_undoes_rotation_scale_translation_but_not_a_mirror():
    points = torch.randn(3, 21, 3, dtype=torch.float64)
    shift = torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64)
    moved = 1.7 * points @ _rotation(1, torch.float64).T + shift
    torch.testing.assert_close(similarity_align(points, moved), moved)
    mirrored = points * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    assert (similarity_align(points, mirrored) - mirrored).abs().max() > 0.1  # proper rotations


def _selector(**kwargs):
    selector = JointEvidenceSelector(in_channels=8, embed_dim=16, hidden_dim=32, **kwargs)
    selector.fitted.fill_(True)  # as tools/fit_hypothesis_selector.py leaves it
    return selector.eval()


def test_the_hypothesis_matching_the_evidence_wins_whatever_its_rotation_and_size():
    torch.manual_seed(0)
    selector = _selector(consensus_weight=0.0)
    feats = _feats(1)
    evidence, _ = selector.evidence(selector.image_features(feats))  # (1, 21, 3)
    good = 0.8 * evidence[0] @ _rotation(2).T  # the evidence's shape, turned and smaller
    others = [evidence[0] + 0.02 * torch.randn(21, 3) for _ in range(3)]
    hypotheses = torch.stack(others[:2] + [good] + others[2:])[None]  # (1, 4, 21, 3)
    selected, index, spread = selector(feats, hypotheses, _identity_joints)
    assert index.tolist() == [2]
    torch.testing.assert_close(selected[0], good)
    assert spread.shape == (1, 21)


def test_consensus_term_picks_the_shape_most_hypotheses_share():
    base = torch.randn(21, 3) * 0.05
    # three hypotheses of one shape (rotated, scaled) and two of another
    shapes = [base @ _rotation(s).T * (1 + 0.1 * s) for s in range(3)]
    stray = [torch.randn(21, 3) * 0.05 for _ in range(2)]
    hypotheses = torch.stack(stray[:1] + shapes + stray[1:])[None]
    selector = _selector(evidence_weight=0.0)
    _, index, _ = selector(_feats(1), hypotheses, _identity_joints)
    assert index.item() in (1, 2, 3)


def test_evidence_loss_trains_the_mlp_towards_the_joints():
    torch.manual_seed(0)
    selector = _selector(dropout=0.0).train()
    features = selector.image_features(_feats(4))
    joints = torch.randn(4, 21, 3) * 0.05 + 0.3  # any root: the loss is wrist-relative
    optimizer = torch.optim.Adam(selector.parameters(), lr=3e-3)
    first = selector.loss(features, joints)
    assert set(first) == {'loss_evidence', 'evidence_error'}
    for _ in range(200):
        optimizer.zero_grad()
        selector.loss(features, joints)['loss_evidence'].backward()
        optimizer.step()
    last = selector.loss(features, joints)
    assert last['evidence_error'] < 0.2 * first['evidence_error']
    # the loss is the Laplace likelihood of the distances with the predicted scales
    joints_pred, log_scale = selector.evidence(features)
    distance = (joints_pred - (joints - joints[:, :1]))[:, 1:].norm(dim=-1) / 0.1
    torch.testing.assert_close(last['loss_evidence'],
                               (distance / log_scale.exp() + log_scale).mean())


def test_weights_are_checked_and_an_unfitted_selector_is_an_error():
    with pytest.raises(ValueError, match='not both 0'):
        _selector(consensus_weight=0.0, evidence_weight=0.0)
    unfitted = JointEvidenceSelector(in_channels=8, embed_dim=16, hidden_dim=32)
    assert 'fitted' in unfitted.state_dict()  # saved with the weights
    with pytest.raises(RuntimeError, match='never fitted.*fit_hypothesis_selector'):
        unfitted(_feats(1), torch.randn(1, 3, 21, 3), _identity_joints)
    # the consensus term alone needs no fitting
    unfitted.evidence_weight = 0.0
    assert unfitted(_feats(1), torch.randn(1, 3, 21, 3), _identity_joints)[1].shape == (1,)


def test_build_fills_the_image_sizes_only_where_needed():
    assert isinstance(build_hypothesis_selector(dict(type='ConsensusSelector'), 8, 16),
                      ConsensusSelector)
    selector = build_hypothesis_selector(dict(type='JointEvidenceSelector', hidden_dim=32), 8, 16)
    assert selector.evidence_mlp[1].in_features == 16 + 8 * 2 * 2  # a 2 x 2 map


def test_the_head_returns_what_its_configured_selector_picks():
    torch.manual_seed(0)
    head = MODELS.build(dict(small_head_cfg(), hypothesis_selector=dict(
        type='JointEvidenceSelector', hidden_dim=32))).eval()
    head.hypothesis_selector.fitted.fill_(True)
    chosen = []
    original = head.hypothesis_selector.scores

    def spy(feats, hypotheses, regress_joints):
        scores = original(feats, hypotheses, regress_joints)
        chosen.append((hypotheses, scores.argmin(1)))
        return scores

    head.hypothesis_selector.scores = spy
    preds = head.predict(_feats(), make_data_samples(2), dict(num_hypotheses=3, sampling_steps=2))
    hypotheses, index = chosen[0]
    for i, pred in enumerate(preds):
        assert pred.hypothesis_index.item() == index[i].item()
        # the returned mesh is the chosen hypothesis, placed (translated) in the camera frame
        placed = pred.vertices[0] - pred.vertices[0].mean(0)
        sample = hypotheses[i, index[i]] - hypotheses[i, index[i]].mean(0)
        torch.testing.assert_close(placed, sample, atol=1e-5, rtol=0)
