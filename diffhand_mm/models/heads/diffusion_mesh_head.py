"""DiffHand's head: diffusion over mesh vertices with a cross-modality decoder.

Li et al., "DiffHand: End-to-End Hand Mesh Reconstruction via Diffusion Models", 2023,
https://arxiv.org/abs/2305.13705. The head follows MMPose 1.x's head API (``forward`` /
``loss`` / ``predict``) on an MMEngine ``BaseModule`` (``mmpose.models`` cannot be imported
without compiled mmcv ops).
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from diffhand_mm.models.decoders.base_decoder import ImageContext
from diffhand_mm.models.diffusion import VertexDiffusion, ddim_sample_loop
from diffhand_mm.registry import MODELS
from .accelerated_sampling import AcceleratedSampler
from .camera import (WeakPerspectiveCameraHead, box_to_camera, perspective_project,
                     pixels_to_normalized, weak_perspective_project,
                     weak_perspective_to_translation)
from .hypotheses import select_consensus_hypothesis
from .placement import MeshPlacement, pack_predictions
from .sample_fields import stack_crop_intrinsics, stack_gt_field, stack_input_sizes

Features = Tuple[Tensor, Tensor]  # (feature_map (B,C,h,w), embedding (B,D))


@MODELS.register_module()
class DiffusionMeshHead(BaseModule):
    """Predicts root-relative hand vertices by DDIM denoising, and a weak-perspective camera.

    Training (:meth:`loss`): x0 = (vertices - root) / vertex_scale, root = joint 0 regressed
    from the vertices; x_t = q_sample(x0, t, noise), t uniform in [0, T-1]; the decoder
    predicts x0 from (x_t, t, image features). Testing (:meth:`predict`): DDIM from pure noise,
    ``num_hypotheses`` samples per image sharing one encoder pass, one chosen by
    :func:`select_consensus_hypothesis`, placed in the camera frame with the predicted camera.

    Mesh topology (template for the decoder's FPS levels, faces, 21-joint regressor) comes from
    the hand model, which is built once and not kept as a submodule: its arrays are copied into
    non-persistent buffers so checkpoints never contain hand-model (e.g. MANO) data. Any object
    with ``v_template``, ``faces`` and ``joint_regressor_21()`` will do:
    :class:`~diffhand_mm.models.heads.PointSetTopology` gives them from a config or a data file
    (e.g. the 21 hand joints as the point set, no faces, no hand model).

    Args:
        in_channels: C of the encoder's feature map.
        embed_dim: D of the encoder's embedding.
        hand_model: Config of a hand model or a ``PointSetTopology`` (``MODELS``), or a built
            one.
        decoder: Decoder config (``CrossModalityDecoder`` or ``VanillaMeshDecoder``);
            ``template_vertices``, ``in_channels`` and ``embed_dim`` are filled in.
        use_diffusion: False gives the ablation "decoder without diffusion": one pass from a
            learned vertex query, no noise and no timestep.
        num_timesteps: T of the cosine schedule.
        vertex_scale: Metres per normalised unit of the diffusion signal.
        sampling_steps: DDIM steps at test time (paper: 10); ``test_cfg`` overrides.
        eta: DDIM stochasticity at test time; ``test_cfg`` overrides.
        num_hypotheses: Samples per image at test time; ``test_cfg`` overrides.
        camera_box_prior: Initial half side of the hand's box in normalised crop units (see
            ``WeakPerspectiveCameraHead``).
        loss_x0, loss_vertex, loss_joint, loss_joint_2d, loss_normal: Loss configs;
            ``loss_normal`` None for a topology without faces (it is then required to be None).
        loss_camera: Camera loss config, or None to train the camera through
            ``loss_joint_2d`` alone. It places the *ground-truth* root-relative joints in the
            predicted hand box and compares them with the 2D labels, so it trains the box
            alone: ``loss_joint_2d`` uses the predicted joints, which under diffusion are poor
            at high noise levels.
        init_cfg: MMEngine init config.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dim: int,
                 hand_model: Union[dict, nn.Module] = dict(type='OpenHandModel'),
                 decoder: dict = dict(type='CrossModalityDecoder', dim=256),
                 use_diffusion: bool = True,
                 num_timesteps: int = 1000,
                 vertex_scale: float = 0.1,
                 sampling_steps: int = 10,
                 eta: float = 0.0,
                 num_hypotheses: int = 1,
                 camera_box_prior: float = 0.5,
                 loss_x0: dict = dict(type='X0MSELoss', loss_weight=1.0),
                 loss_vertex: dict = dict(type='VertexL1Loss', loss_weight=1.0),
                 loss_joint: dict = dict(type='JointL1Loss', loss_weight=1.0),
                 loss_joint_2d: dict = dict(type='Joint2DL1Loss', loss_weight=0.05),
                 loss_normal: Optional[dict] = dict(type='NormalConsistencyLoss', loss_weight=0.05),
                 loss_camera: Optional[dict] = dict(type='Joint2DL1Loss', loss_weight=1.0),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        hand = hand_model if isinstance(hand_model, nn.Module) else MODELS.build(hand_model)
        template = hand.v_template.detach().float().cpu()
        regressor = torch.as_tensor(hand.joint_regressor_21()).detach().float().cpu()
        if regressor.shape != (21, template.shape[0]):
            raise ValueError(f'DiffusionMeshHead: {type(hand).__name__}.joint_regressor_21() must '
                             f'be (21, {template.shape[0]}), got {tuple(regressor.shape)}.')
        faces = hand.faces.detach().long().cpu().reshape(-1, 3)
        if len(faces) == 0 and loss_normal is not None:
            raise ValueError(f'DiffusionMeshHead: {type(hand).__name__} has no faces, so there are '
                             'no normals to compare; set loss_normal=None.')
        self.register_buffer('faces', faces, persistent=False)
        self.register_buffer('joint_regressor', regressor, persistent=False)
        self.num_vertices = template.shape[0]

        self.use_diffusion = use_diffusion
        self.sampling_steps = sampling_steps
        self.eta = eta
        self.num_hypotheses = num_hypotheses
        self.diffusion = VertexDiffusion(num_timesteps, vertex_scale)
        self.decoder = MODELS.build(dict(decoder, template_vertices=template,
                                         template_faces=self.faces, in_channels=in_channels,
                                         embed_dim=embed_dim))
        self.camera_head = WeakPerspectiveCameraHead(embed_dim, feature_channels=in_channels,
                                                     box_prior=camera_box_prior)
        self.loss_x0 = MODELS.build(loss_x0)
        self.loss_vertex = MODELS.build(loss_vertex)
        self.loss_joint = MODELS.build(loss_joint)
        self.loss_joint_2d = MODELS.build(loss_joint_2d)
        self.loss_normal = None if loss_normal is None else MODELS.build(loss_normal)
        self.loss_camera = None if loss_camera is None else MODELS.build(loss_camera)
        # CUDA graphs / compiled loops of sample_from_noise (test_cfg.accelerate); not a module.
        self._accelerated = AcceleratedSampler(
            lambda *args: self.sample_from_noise(*args))

    def _apply(self, fn, *args, **kwargs):
        # .to() / .half() move the weights: captured graphs would read freed memory.
        self._accelerated.clear()
        return super()._apply(fn, *args, **kwargs)

    def regress_joints(self, vertices: Tensor) -> Tensor:
        """21 joints (B, 21, 3), OpenPose order, from vertices (B, V, 3)."""
        return torch.einsum('jv,bvc->bjc', self.joint_regressor, vertices)

    def root_relative(self, vertices: Tensor) -> Tensor:
        """Subtract the regressed wrist (joint 0): (B, V, 3) -> (B, V, 3)."""
        return vertices - self.regress_joints(vertices)[:, :1]

    def sample_vertices(self, feats: Features, num_hypotheses: int = 1,
                        sampling_steps: Optional[int] = None, eta: Optional[float] = None,
                        generator: Optional[torch.Generator] = None,
                        accelerate: Union[str, dict, None] = None) -> Tensor:
        """Sample root-relative vertices, encoder features shared by the hypotheses.

        The decoder's image part (:meth:`BaseMeshDecoder.encode_image`) is computed once per
        image and repeated for the hypotheses; every DDIM step reuses it.

        Args:
            feats: (feature_map (B,C,h,w), embedding (B,D)).
            num_hypotheses: K samples per image.
            sampling_steps, eta: DDIM settings; default to the head's.
            generator: Random generator for the initial noise (and eta > 0).
            accelerate: None (eager), ``'cuda_graph'`` or ``'compile'`` (or a dict with
                ``type`` and options): the loop as CUDA graphs / compiled, with an eager
                fallback (:mod:`~diffhand_mm.models.heads.accelerated_sampling`).

        Returns:
            Tensor: (B, K, V, 3) metres, root-relative.
        """
        feature_map, embedding = feats
        batch = embedding.shape[0]
        context = self.decoder.encode_image(feature_map, embedding)
        if not self.use_diffusion:
            if num_hypotheses != 1:
                raise ValueError('DiffusionMeshHead: use_diffusion=False is deterministic; '
                                 f'num_hypotheses must be 1, got {num_hypotheses}.')
            x0 = self.decoder.vertices_from_signal(self.decoder(None, None, context))
            return self.diffusion.denormalize(x0)[:, None]
        noise = torch.randn((batch * num_hypotheses, self.decoder.num_points, 3),
                            generator=generator,
                            device=embedding.device, dtype=embedding.dtype)
        steps = self.sampling_steps if sampling_steps is None else sampling_steps
        vertices = self._accelerated(accelerate, context.repeat_interleave(num_hypotheses),
                                     noise, self.diffusion.timesteps(steps),
                                     self.eta if eta is None else eta, generator)
        return vertices.reshape(batch, num_hypotheses, self.num_vertices, 3)

    def sample_from_noise(self, context: ImageContext, noise: Tensor,
                          timesteps: Sequence[Tuple[int, int]], eta: float = 0.0,
                          generator: Optional[torch.Generator] = None,
                          decoder: Optional[nn.Module] = None) -> Tensor:
        """The DDIM loop (:func:`ddim_sample_loop`) with the decoder, from given noise.

        A pure function of its inputs when ``eta`` is 0 (what the exporter traces).

        Args:
            context: The decoder's image context, batch M (one row per sample).
            noise: Initial x_T (M, N, 3), standard normal, N = ``decoder.num_points`` (the
                diffusion signal: all V vertices, or a coarse subset of them).
            timesteps: (t, t_prev) pairs, e.g. ``self.diffusion.timesteps(10)``.
            eta: DDIM stochasticity.
            generator: Random generator of the eta > 0 noise.
            decoder: The denoiser; default this head's (a distillation teacher passes its
                own, of the same architecture).

        Returns:
            Tensor: (M, V, 3) metres, the mesh of the last x0 prediction (centred as the
            training signal, not exactly root-relative).
        """
        decoder = self.decoder if decoder is None else decoder
        x0 = ddim_sample_loop(lambda x_t, t: decoder(x_t, t, context), noise, timesteps,
                              self.diffusion.alpha_bar, eta, generator)
        return self.diffusion.denormalize(decoder.vertices_from_signal(x0))

    def camera(self, feats: Features, vertices_rel: Tensor) -> Tensor:
        """Weak-perspective cameras (B, 3) = (s, t_x, t_y) for root-relative vertices (B, V, 3)
        metres: the predicted hand box, matched by the box of their regressed joints."""
        joints = self.regress_joints(vertices_rel)
        return self.camera_head(*feats, joints - joints[:, :1])

    def place(self, feats: Features, vertices: Tensor, cam_K: Tensor,
              input_size: Tensor) -> MeshPlacement:
        """Put meshes in the camera frame of their input crops.

        The regressed wrist goes exactly to the root position implied by the weak-perspective
        camera (:meth:`camera`, then ``weak_perspective_to_translation``); joints are
        regressed from the placed vertices and projected with the pinhole ``cam_K``.

        Args:
            feats: (feature_map (B,C,h,w), embedding (B,D)) the camera is read from.
            vertices: (B, V, 3) metres, in any frame translated from the camera's (e.g.
                root-relative samples).
            cam_K: (B, 3, 3) intrinsics of the input crops.
            input_size: (B, 2) crop sizes (W, H), pixels.

        Returns:
            MeshPlacement: vertices, joints_3d, joints_2d, camera.
        """
        vertices_rel = self.root_relative(vertices)
        camera = self.camera(feats, vertices_rel)
        translation = weak_perspective_to_translation(camera, cam_K, input_size)
        vertices = vertices_rel + translation[:, None]
        joints_3d = self.regress_joints(vertices)
        return MeshPlacement(vertices, joints_3d, perspective_project(joints_3d, cam_K), camera)

    def forward(self, feats: Features) -> Tuple[Tensor, Tensor]:
        """One sample per image with the head's settings.

        Returns:
            tuple: root-relative vertices (B, V, 3) metres and cameras (B, 3) = (s, t_x, t_y).
        """
        vertices_rel = self.root_relative(self.sample_vertices(feats)[:, 0])
        return vertices_rel, self.camera(feats, vertices_rel)

    def loss(self, feats: Features, batch_data_samples: Sequence,
             train_cfg: Optional[dict] = None) -> Dict[str, Tensor]:
        """Training losses; samples with ``has_vertices == 0`` contribute only joint losses.

        Args:
            feats: (feature_map (B,C,h,w), embedding (B,D)).
            batch_data_samples: PoseDataSamples with ``gt_instances`` vertices (1,V,3),
                has_vertices (1,), joints_3d (1,21,3), joints_2d (1,21,2) and metainfo
                ``input_size``.
            train_cfg: Unused; accepted for the MMPose head API.

        Returns:
            dict: ``loss_x0``, ``loss_vertex``, ``loss_joint``, ``loss_joint_2d`` and, when
            configured, ``loss_normal`` and ``loss_camera``.
        """
        feature_map, embedding = feats
        device = embedding.device
        vertices = stack_gt_field(batch_data_samples, 'vertices', device)
        has_vertices = stack_gt_field(batch_data_samples, 'has_vertices', device).reshape(-1)
        joints_3d = stack_gt_field(batch_data_samples, 'joints_3d', device)
        joints_2d = stack_gt_field(batch_data_samples, 'joints_2d', device)
        input_size = stack_input_sizes(batch_data_samples, device)

        x0 = self.diffusion.normalize(self.root_relative(vertices)) * has_vertices[:, None, None]
        context = self.decoder.encode_image(feature_map, embedding)
        if self.use_diffusion:
            # The decoder denoises its signal (all vertices, or a coarse subset); the losses
            # below compare whole meshes.
            signal = self.decoder.signal_from_vertices(x0)
            t = self.diffusion.sample_timesteps(x0.shape[0], device)
            x_t = self.diffusion.q_sample(signal, t, torch.randn_like(signal))
            x0_pred = self.decoder.vertices_from_signal(self.decoder(x_t, t, context))
        else:
            x0_pred = self.decoder.vertices_from_signal(self.decoder(None, None, context))

        # 3D losses in the normalised units of the diffusion signal (metres / vertex_scale).
        joints_pred = self.regress_joints(self.diffusion.denormalize(x0_pred))
        joints_pred = joints_pred - joints_pred[:, :1]
        joints_gt = joints_3d - joints_3d[:, :1]
        box = self.camera_head.predict_box(feature_map, embedding)
        joints_2d_normalized = pixels_to_normalized(joints_2d, input_size)
        losses = dict(
            loss_x0=self.loss_x0(x0_pred, x0, has_vertices),
            loss_vertex=self.loss_vertex(x0_pred, x0, has_vertices),
            loss_joint=self.loss_joint(self.diffusion.normalize(joints_pred),
                                       self.diffusion.normalize(joints_gt)),
            # As at test time: the predicted joints placed in the predicted box.
            loss_joint_2d=self.loss_joint_2d(
                weak_perspective_project(joints_pred, box_to_camera(box, joints_pred)),
                joints_2d_normalized))
        if self.loss_normal is not None:
            losses['loss_normal'] = self.loss_normal(x0_pred, x0, self.faces, has_vertices)
        if self.loss_camera is not None:
            losses['loss_camera'] = self.loss_camera(
                weak_perspective_project(joints_gt, box_to_camera(box, joints_gt)),
                joints_2d_normalized)
        return losses

    @torch.no_grad()
    def predict(self, feats: Features, batch_data_samples: Sequence,
                test_cfg: Optional[dict] = None) -> List[InstanceData]:
        """Sample meshes and place them in the camera frame of the input crop.

        Args:
            feats: (feature_map (B,C,h,w), embedding (B,D)).
            batch_data_samples: PoseDataSamples with metainfo ``input_size`` (W, H) and
                ``cam_K`` (or ``gt_instances.cam_K``), intrinsics of the input crop.
            test_cfg: Optional ``sampling_steps``, ``eta``, ``num_hypotheses``, ``accelerate``
                (see :meth:`sample_vertices`).

        Returns:
            list[InstanceData]: per image ``vertices`` (1,V,3) and ``joints_3d`` (1,21,3) metres
            in the crop's camera frame, ``joints_2d`` (1,21,2) input pixels, ``camera`` (1,3)
            = (s, t_x, t_y), and with several hypotheses ``vertex_uncertainty`` (1,V) metres
            (RMS distance of the hypotheses to their mean) and ``hypothesis_index`` (1,).
            Tensors are float32 on the CPU.
        """
        test_cfg = test_cfg or {}
        num_hypotheses = int(test_cfg.get('num_hypotheses', self.num_hypotheses))
        if num_hypotheses < 1:
            raise ValueError('DiffusionMeshHead: num_hypotheses must be >= 1, got '
                             f'{num_hypotheses}.')
        hypotheses = self.sample_vertices(feats, num_hypotheses, test_cfg.get('sampling_steps'),
                                          test_cfg.get('eta'),
                                          accelerate=test_cfg.get('accelerate'))
        index = spread = None
        if num_hypotheses > 1:
            vertices_rel, index, spread = select_consensus_hypothesis(hypotheses)
        else:
            vertices_rel = hypotheses[:, 0]
        device = vertices_rel.device
        placement = self.place(feats, vertices_rel,
                               stack_crop_intrinsics(batch_data_samples, device),
                               stack_input_sizes(batch_data_samples, device))
        return pack_predictions(placement, spread, index)
