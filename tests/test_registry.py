"""The package's registry scope: lightweight import, MMPose parents, use from other scopes."""
import subprocess
import sys

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
