"""The package's registry scope: lightweight import, MMPose parents, use from other scopes."""
import subprocess
import sys

import numpy as np
import pytest

from mmengine.config import Config
from mmengine.registry import DefaultScope, Registry
from mmengine.registry import MODELS as MMENGINE_MODELS


def test_import_does_not_touch_mmpose_models():
    # `mmpose.models` fails to import without mmcv's compiled ops; we must never import it.
    code = ('import sys, diffhand_mm; diffhand_mm.register_all_modules(); '
            'assert "mmpose.models" not in sys.modules, "mmpose.models imported"; print("ok")')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0 and 'ok' in out.stdout, out.stderr[-2000:]


def test_registries_are_children_of_mmpose():
    from mmpose import registry as mmpose_registry

    from diffhand_mm import registry
    assert registry.MODELS.parent is mmpose_registry.MODELS
    assert registry.TRANSFORMS.parent is mmpose_registry.TRANSFORMS
    assert registry.METRICS.parent is mmpose_registry.METRICS
    assert registry.MODELS.scope == 'diffhand_mm'


def test_mmpose_transforms_and_metrics_resolve_from_our_scope():
    from diffhand_mm.registry import METRICS, TRANSFORMS
    load = TRANSFORMS.build(dict(type='LoadImage'))
    assert type(load).__module__.startswith('mmpose.datasets.transforms')
    assert METRICS.get('PCKAccuracy').__module__.startswith('mmpose.evaluation')
    # MMEngine's runner parts resolve through the same chain.
    from diffhand_mm.registry import OPTIM_WRAPPERS
    assert OPTIM_WRAPPERS.get('OptimWrapper') is not None


def test_other_project_builds_our_components_with_scope_prefix():
    other_models = Registry('model', parent=MMENGINE_MODELS, scope='other_project_for_test')
    cfg = Config(dict(custom_imports=dict(imports=['diffhand_mm'], allow_failed_imports=False)))
    from mmengine.utils import import_modules_from_strings
    import_modules_from_strings(**cfg.custom_imports)
    with DefaultScope.overwrite_default_scope('other_project_for_test'):
        encoder = other_models.build(
            dict(type='diffhand_mm.TimmEncoder', model_name='resnet18', img_size=64))
    from diffhand_mm.models.backbones import TimmEncoder
    assert isinstance(encoder, TimmEncoder)
    assert encoder.feature_channels == 512


def test_register_all_modules_sets_default_scope():
    import diffhand_mm
    diffhand_mm.register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'diffhand_mm'


# --- Another project's scope building ours (issue 10) -------------------------------------
# A made-up project: registries of its own under MMEngine's roots, as a third-party project
# has them, and an estimator of its own that is not ours.
import torch  # noqa: E402
from mmengine.evaluator import Evaluator  # noqa: E402
from mmengine.model import BaseModel  # noqa: E402
from mmengine.registry import DATASETS as MMENGINE_DATASETS  # noqa: E402
from mmengine.registry import HOOKS as MMENGINE_HOOKS  # noqa: E402
from mmengine.registry import METRICS as MMENGINE_METRICS  # noqa: E402
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS  # noqa: E402
from torch import nn  # noqa: E402

MADE_UP = 'made_up_project_for_test'
MADE_UP_MODELS = Registry('model', parent=MMENGINE_MODELS, scope=MADE_UP)
Registry('dataset', parent=MMENGINE_DATASETS, scope=MADE_UP)
Registry('transform', parent=MMENGINE_TRANSFORMS, scope=MADE_UP)
Registry('metric', parent=MMENGINE_METRICS, scope=MADE_UP)
Registry('hook', parent=MMENGINE_HOOKS, scope=MADE_UP)


@MADE_UP_MODELS.register_module()
class MadeUpScale(nn.Module):
    """A part only the made-up project has (found only in its scope)."""

    def __init__(self, factor: float = 2.0):
        super().__init__()
        self.factor = factor


@MADE_UP_MODELS.register_module()
class MadeUpLoss(nn.Module):
    """The user's own loss, placed inside our head; builds a part of its own scope."""

    def __init__(self, scale: dict = dict(type='MadeUpScale'), loss_weight: float = 1.0):
        super().__init__()
        self.scale = MADE_UP_MODELS.build(scale)

    def forward(self, pred, target, weights=None):
        return self.scale.factor * ((pred - target) ** 2).mean()


@MADE_UP_MODELS.register_module()
class MadeUpEstimator(BaseModel):
    """Not ours: a stride-16 conv encoder and whatever head the config names."""

    def __init__(self, head: dict):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 16, stride=16)
        self.fc = nn.Linear(8, 16)
        self.head = MADE_UP_MODELS.build(head)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        feature_map = self.conv(inputs)
        feats = (feature_map, self.fc(feature_map.mean((2, 3))))
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        for sample, instance in zip(data_samples, self.head.predict(feats, data_samples)):
            sample.pred_instances = instance
        return data_samples


def _our_head_unprefixed_inside(**overrides):
    """Our head by its prefixed name; its nested parts by plain names, as our configs have them."""
    return dict(type='diffhand_mm.DiffusionMeshHead', in_channels=8, embed_dim=16,
                hand_model=dict(type='OpenHandModel'),
                decoder=dict(type='CrossModalityDecoder', dim=16, num_heads=2, ffn_ratio=2),
                loss_x0=dict(type='X0MSELoss', loss_weight=1.0), sampling_steps=2, **overrides)


@pytest.mark.parametrize('scope', [MADE_UP, 'mmengine'])
def test_our_head_builds_its_parts_in_our_scope_from_another_scope(scope):
    import diffhand_mm  # noqa: F401  (custom_imports)
    from diffhand_mm.hand import OpenHandModel  # noqa: F401
    from diffhand_mm.models.decoders import CrossModalityDecoder
    from diffhand_mm.models.heads import DiffusionMeshHead
    registry = MADE_UP_MODELS if scope == MADE_UP else MMENGINE_MODELS
    with DefaultScope.overwrite_default_scope(scope):
        head = registry.build(_our_head_unprefixed_inside())
        # the caller's scope is untouched after the build
        assert DefaultScope.get_current_instance().scope_name == scope
    assert isinstance(head, DiffusionMeshHead)
    assert isinstance(head.decoder, CrossModalityDecoder)
    assert head.num_vertices == 778 and head.faces.shape[1] == 3


def test_a_nested_type_with_the_callers_prefix_resolves_in_the_callers_scope():
    with DefaultScope.overwrite_default_scope(MADE_UP):
        head = MADE_UP_MODELS.build(_our_head_unprefixed_inside(
            loss_vertex=dict(type=f'{MADE_UP}.MadeUpLoss', scale=dict(type='MadeUpScale',
                                                                     factor=3.0))))
    assert isinstance(head.loss_vertex, MadeUpLoss)
    # MadeUpLoss's own unprefixed part resolved in its scope, not in ours
    assert isinstance(head.loss_vertex.scale, MadeUpScale) and head.loss_vertex.scale.factor == 3


@pytest.mark.parametrize('scope', [MADE_UP, 'mmengine'])
def test_our_dataset_metric_and_hook_build_from_another_scope(scope):
    import diffhand_mm  # noqa: F401
    from diffhand_mm.engine import TrainTimeBudgetHook
    from diffhand_mm.evaluation import MeshMetric
    with DefaultScope.overwrite_default_scope(scope):
        dataset = MMENGINE_DATASETS.build(dict(
            type='diffhand_mm.SynthHandOnlineDataset', num_samples=2, seed=4,
            pipeline=[dict(type='HandCrop', input_size=(32, 32), padding=1.3),
                      dict(type='PackHandInputs')]))
        metric = MMENGINE_METRICS.build(dict(type='diffhand_mm.MeshMetric', prefix='mesh'))
        hook = MMENGINE_HOOKS.build(dict(type='diffhand_mm.TrainTimeBudgetHook',
                                         budget_seconds=5))
    assert tuple(dataset[0]['inputs'].shape) == (3, 32, 32)
    assert isinstance(metric, MeshMetric) and isinstance(hook, TrainTimeBudgetHook)


def test_our_head_in_another_projects_estimator_trains_predicts_and_is_scored():
    from tests.test_models.test_heads.stand_ins import make_data_samples
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope(MADE_UP):
        model = MADE_UP_MODELS.build(dict(type='MadeUpEstimator',
                                          head=_our_head_unprefixed_inside()))
        metric = MMENGINE_METRICS.build(dict(type='diffhand_mm.MeshMetric', prefix='mesh'))
    samples = make_data_samples(2, size=64)
    images = torch.rand(2, 3, 64, 64)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = model(images, samples, mode='loss')
    assert {'loss_x0', 'loss_vertex', 'loss_joint', 'loss_normal'} <= set(losses)
    sum(losses.values()).backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(images, samples, mode='predict')
    assert predicted[0].pred_instances.vertices.shape == (1, 778, 3)
    evaluator = Evaluator(metric)
    evaluator.process(predicted)
    scores = evaluator.evaluate(len(predicted))
    assert scores['mesh/MPJPE'] > 0 and np.isfinite(scores['mesh/PA-MPVPE'])
