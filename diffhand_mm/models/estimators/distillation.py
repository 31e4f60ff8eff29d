"""Few-step sampling: a DiffHand whose decoder learns to do in S DDIM steps what a trained
teacher does in many.

Direct distillation of the deterministic sampler (Luhman & Luhman 2021, "Knowledge
Distillation in Iterative Generative Models for Improved Sampling Speed"): with eta = 0, the
teacher's DDIM sampler is a fixed map from the initial noise z (and the image) to a mesh. The
student starts as a copy of the teacher and is trained so that its own S-step DDIM sampler
(the project's one loop, :func:`~diffhand_mm.models.diffusion.ddim_sample_loop`, with gradients
through all S steps) lands where the teacher's T-step sampler lands from the same z. Different
z still give different meshes, so the student keeps several hypotheses per image. Only the
decoder learns; the encoder and the camera head keep the teacher's weights (frozen), so the
image features and the camera are the teacher's.

The student's weights (``state_dict``) are a plain DiffHand's: its checkpoint loads into the
config it was distilled from, tested with ``model.test_cfg.sampling_steps=S``. The teacher is
not part of the module tree: it is read from ``teacher_checkpoint`` whenever the weights are
initialised (also when a run resumes, so the teacher stays the original).
"""
import copy
from typing import Dict, Optional, Sequence

import torch
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch import Tensor

from diffhand_mm.registry import MODELS
from .diffhand import DiffHand


@MODELS.register_module()
class DistilledDiffHand(DiffHand):
    """DiffHand trained to sample in ``student_steps`` DDIM steps from a teacher's
    ``teacher_steps`` (module doc).

    Args:
        backbone, head, data_preprocessor, train_cfg, init_cfg: As :class:`DiffHand`; the
            same architecture as the teacher's.
        teacher_checkpoint: Checkpoint of the trained teacher (a DiffHand of this
            architecture); the student starts from it. Needed to train (not to test).
        student_steps: S, the DDIM steps the student learns to sample with (1 or 2 usually).
        teacher_steps: The teacher's DDIM steps (the paper's 10).
        noises_per_image: Initial noises drawn per training image.
        test_cfg: As :class:`DiffHand`; ``sampling_steps`` defaults to ``student_steps``.

    Raises:
        ValueError: ``student_steps`` >= ``teacher_steps``, or a head without diffusion.
    """

    def __init__(self, backbone: dict, head: dict, teacher_checkpoint: Optional[str] = None,
                 student_steps: int = 1, teacher_steps: int = 10, noises_per_image: int = 1,
                 data_preprocessor: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone, head, data_preprocessor, train_cfg, test_cfg, init_cfg)
        if not 1 <= student_steps < teacher_steps:
            raise ValueError(f'DistilledDiffHand: need 1 <= student_steps < teacher_steps, got '
                             f'{student_steps} and {teacher_steps}.')
        if not self.head.use_diffusion:
            raise ValueError('DistilledDiffHand: the head has no diffusion to distil.')
        self.teacher_checkpoint = teacher_checkpoint
        self.student_steps = student_steps
        self.teacher_steps = teacher_steps
        self.noises_per_image = noises_per_image
        self.test_cfg.setdefault('sampling_steps', student_steps)
        # Frozen: the student shares the teacher's image features and camera.
        self.backbone.requires_grad_(False)
        self.head.camera_head.requires_grad_(False)
        self._teacher = []  # [decoder]; a list keeps it out of the module tree and state_dict

    @property
    def teacher(self):
        if not self._teacher:
            raise RuntimeError('DistilledDiffHand: the teacher is loaded by init_weights() '
                               '(the runner calls it before training).')
        return self._teacher[0]

    def init_weights(self) -> None:
        """Student and teacher from ``teacher_checkpoint`` (a resumed run then loads the
        student's own state on top)."""
        super().init_weights()
        if not self.teacher_checkpoint:
            raise ValueError('DistilledDiffHand: set model.teacher_checkpoint to the trained '
                             'model to distil (e.g. --cfg-options model.teacher_checkpoint=CKPT).')
        checkpoint = _load_checkpoint(self.teacher_checkpoint, map_location='cpu')
        state = checkpoint.get('state_dict', checkpoint)
        load_state_dict(self, {k[len('module.'):] if k.startswith('module.') else k: v
                               for k, v in state.items()}, strict=True)
        device = next(self.parameters()).device
        teacher = copy.deepcopy(self.head.decoder).to(device).eval().requires_grad_(False)
        self._teacher[:] = [teacher]

    def train(self, mode: bool = True) -> 'DistilledDiffHand':
        super().train(mode)
        self.backbone.eval()  # frozen: no batch-norm statistics updates
        return self

    def _apply(self, fn, *args, **kwargs):
        if self._teacher:
            self._teacher[0]._apply(fn, *args, **kwargs)
        return super()._apply(fn, *args, **kwargs)

    def forward(self, inputs: Tensor, data_samples: Optional[Sequence] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.distillation_loss(inputs)
        return super().forward(inputs, data_samples, mode)

    def distillation_loss(self, inputs: Tensor) -> Dict[str, Tensor]:
        """``loss_distill``: mean L1 distance (normalised units, metres / vertex_scale) of the
        student's S-step meshes to the teacher's T-step meshes from the same noise."""
        head = self.head
        with torch.no_grad():
            feats = self.extract_feat(inputs)
        repeats = self.noises_per_image
        noise = torch.randn((inputs.shape[0] * repeats, head.decoder.num_points, 3),
                            device=inputs.device, dtype=feats[1].dtype)
        with torch.no_grad():
            teacher_context = self.teacher.encode_image(*feats).repeat_interleave(repeats)
            target = head.sample_from_noise(teacher_context, noise,
                                            head.diffusion.timesteps(self.teacher_steps),
                                            decoder=self.teacher)
        context = head.decoder.encode_image(*feats).repeat_interleave(repeats)
        student = head.sample_from_noise(context, noise,
                                         head.diffusion.timesteps(self.student_steps))
        return dict(loss_distill=(head.diffusion.normalize(student - target)).abs().mean())
