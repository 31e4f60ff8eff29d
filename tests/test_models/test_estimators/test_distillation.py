"""Few-step distillation: the student's S-step sampler learns the teacher's T-step one."""
import pytest
import torch

from diffhand_mm.models.estimators import DiffHand, DistilledDiffHand
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples, small_head_cfg

import diffhand_mm.models  # noqa: F401

SIZE = 64


def _head():
    # the fast decoder (195 signal points): what the distilled configs use, and quick
    head = small_head_cfg(decoder=dict(type='CoarseCrossModalityDecoder', dim=16, num_heads=2,
                                       ffn_ratio=2, num_blocks=2))
    del head['in_channels'], head['embed_dim']
    return head


@pytest.fixture
def teacher_checkpoint(tmp_path):
    torch.manual_seed(0)
    teacher = MODELS.build(dict(type='DiffHand', backbone=dict(type='TinyEncoder'), head=_head()))
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict(), meta={}), path)
    return path, teacher


def _student(path, **kwargs):
    torch.manual_seed(1)  # other weights than the teacher's until init_weights
    model = MODELS.build(dict(type='DistilledDiffHand', backbone=dict(type='TinyEncoder'),
                              head=_head(), teacher_checkpoint=path, **kwargs))
    model.init_weights()
    return model


def _images(batch=4):
    gen = torch.Generator().manual_seed(2)
    return torch.randn(batch, 3, SIZE, SIZE, generator=gen)


def test_student_starts_as_the_teacher_and_saves_as_a_plain_diffhand(teacher_checkpoint):
    path, teacher = teacher_checkpoint
    student = _student(path, student_steps=2, teacher_steps=4)
    assert student.state_dict().keys() == teacher.state_dict().keys()
    for key, value in teacher.state_dict().items():
        torch.testing.assert_close(student.state_dict()[key], value)
    assert student.test_cfg['sampling_steps'] == 2
    # the teacher is no submodule: not saved, not optimised
    assert not any('teacher' in name for name, _ in student.named_parameters())
    plain = MODELS.build(dict(type='DiffHand', backbone=dict(type='TinyEncoder'), head=_head()))
    plain.load_state_dict(student.state_dict(), strict=True)
    with pytest.raises(ValueError, match='student_steps < teacher_steps'):
        _student(path, student_steps=4, teacher_steps=4)
    with pytest.raises(ValueError, match='teacher_checkpoint'):
        _student(None)


def test_only_the_decoder_learns_and_the_student_approaches_the_teacher(teacher_checkpoint):
    path, _ = teacher_checkpoint
    student = _student(path, student_steps=1, teacher_steps=3, noises_per_image=2).train()
    teacher_before = {k: v.clone() for k, v in student.teacher.state_dict().items()}
    frozen_before = {k: v.clone() for k, v in student.state_dict().items()
                     if not k.startswith('head.decoder.')}
    optimizer = torch.optim.Adam([p for p in student.parameters() if p.requires_grad], lr=3e-3)
    images = _images(2)
    losses = []
    for step in range(20):
        torch.manual_seed(step % 2)  # two fixed noises, so that the loss can go down
        loss = student(images, mode='loss')['loss_distill']
        optimizer.zero_grad()
        loss.backward()
        if step == 0:
            assert student.backbone.conv.weight.grad is None
            assert student.head.decoder.vertex_query.grad.abs().sum() > 0
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-2:]) < 0.7 * sum(losses[:2])
    for key, value in student.teacher.state_dict().items():
        torch.testing.assert_close(value, teacher_before[key])
    for key, value in frozen_before.items():
        torch.testing.assert_close(student.state_dict()[key], value)


def test_predict_samples_with_the_student_steps(teacher_checkpoint):
    path, _ = teacher_checkpoint
    student = _student(path, student_steps=2, teacher_steps=4).eval()
    calls = []
    original = student.head.decoder.forward
    student.head.decoder.forward = lambda *args: (calls.append(1), original(*args))[1]
    samples = make_data_samples(2, size=SIZE)
    images = [torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8) for _ in range(2)]
    outputs = student.test_step(dict(inputs=images, data_samples=samples))
    assert len(calls) == 2 and outputs[0].pred_instances.vertices.shape == (1, 778, 3)
