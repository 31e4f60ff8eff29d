"""Every config loads; the real-data configs stop with a clear message when MANO is missing;
the configs live in the package and another project inherits them from any install."""
import glob
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from mmengine.config import Config

import diffhand_mm
from diffhand_mm.registry import MODELS, type_name

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Config modules, not their packages' __init__ files.
EXPERIMENT_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '[!_]*.py')) +
    glob.glob(osp.join(REPO_ROOT, 'configs', 'ablations', '[!_]*.py')))


def test_the_issue_configs_exist():
    names = {osp.basename(p) for p in EXPERIMENT_CONFIGS}
    assert {'diffhand_deit_freihand.py', 'diffhand_hrnet_dexycb.py', 'diffhand_deit_ho3d.py',
            'diffhand_tiny_synthhand.py', 'diffhand_fast_deit_freihand.py',
            'diffhand_fast_tiny_synthhand.py'} <= names


@pytest.mark.parametrize('path', EXPERIMENT_CONFIGS, ids=osp.basename)
def test_config_is_complete(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'diffhand_mm'
    assert type_name(cfg.model.type) in {'DiffHand', 'DistilledDiffHand'}
    assert type_name(cfg.train_dataloader.dataset.type) in {
        'FreiHANDDataset', 'DexYCBDataset', 'HO3DDataset', 'SynthHandOnlineDataset'}
    assert type_name(cfg.test_evaluator.type) == 'MeshMetric'
    # Offline by default: nothing downloads when a config is built.
    assert cfg.model.backbone.pretrained is False
    assert type_name(cfg.optim_wrapper.optimizer.type) == 'AdamW'


@pytest.mark.parametrize('name', ['diffhand_deit_freihand.py', 'diffhand_hrnet_dexycb.py',
                                  'diffhand_deit_ho3d.py', 'diffhand_fast_deit_freihand.py'])
def test_real_data_configs_use_mano_and_say_where_to_put_it(name, tmp_path, monkeypatch):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', name))
    assert type_name(cfg.model.head.hand_model.type) == 'MANOHandModel'
    monkeypatch.chdir(tmp_path)  # no data/mano here
    diffhand_mm.register_all_modules(init_default_scope=False)
    with pytest.raises(FileNotFoundError, match='data/mano'):
        MODELS.build(cfg.model.head.hand_model)


def test_paper_settings_of_the_freihand_config():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_deit_freihand.py'))
    assert cfg.model.backbone.model_name == 'deit3_large_patch16_224'
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.model.test_cfg.sampling_steps == 10
    head = cfg.model.head
    assert head.decoder.num_blocks == 3 and head.decoder.sample_rate == 4
    assert head.loss_normal.loss_weight == 0.05
    # tested as the paper did: MeshGraphormer's multiscale set, Procrustes to the plain pass
    from diffhand_mm.engine import TestTimeAugmentationHook
    from diffhand_mm.models.tta import GRAPHORMER_TTA
    hooks = [h for h in cfg.custom_hooks if h['type'] is TestTimeAugmentationHook]
    assert len(hooks) == 1
    tta = hooks[0]['tta']
    assert tuple(tta['rotations']) == GRAPHORMER_TTA['rotations']
    assert tuple(tta['scales']) == GRAPHORMER_TTA['scales']
    assert tta['align'] == 'procrustes'
    assert cfg.model.test_cfg.get('tta') is None  # validation during training: no TTA


def test_ablation_configs_switch_exactly_one_thing():
    base = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py'))
    no_diff = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ablations', 'diffhand_tiny_synthhand_no_diffusion.py'))
    vanilla = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ablations', 'diffhand_tiny_synthhand_vanilla_decoder.py'))
    assert base.model.head.use_diffusion and not no_diff.model.head.use_diffusion
    assert no_diff.model.head.decoder == base.model.head.decoder
    assert type_name(vanilla.model.head.decoder.type) == 'VanillaMeshDecoder'
    assert vanilla.model.head.use_diffusion
    paper = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ablations', 'diffhand_tiny_synthhand_paper_losses.py'))
    def named(value):  # compare classes by name: two loads need not give the same objects
        if isinstance(value, dict):
            return {k: type_name(v) if k == 'type' else named(v) for k, v in value.items()}
        return value

    changed = {k for k in base.model.head
               if named(paper.model.head[k]) != named(base.model.head[k])}
    assert changed == {'loss_vertex', 'loss_joint', 'loss_joint_2d', 'loss_normal'}
    freihand = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_deit_freihand.py'))
    for key in changed:
        assert named(paper.model.head[key]) == named(freihand.model.head[key])
    for cfg in (no_diff, vanilla, paper):
        assert cfg.train_cfg == base.train_cfg and cfg.optim_wrapper == base.optim_wrapper


def test_configs_folder_is_the_package_configs():
    """One source of truth: configs/ is the package's diffhand_mm/configs, not a copy."""
    assert osp.realpath(osp.join(REPO_ROOT, 'configs')) == \
        osp.realpath(osp.join(REPO_ROOT, 'diffhand_mm', 'configs'))


def test_config_types_are_classes_so_they_build_from_any_scope():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py'))
    from diffhand_mm.models.heads import DiffusionMeshHead
    assert cfg.model.head.type is DiffusionMeshHead
    assert all(isinstance(t['type'], type) for t in cfg.train_dataloader.dataset.pipeline)


def test_cfg_options_and_dump_of_a_new_style_config(tmp_path):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py'))
    cfg.merge_from_dict({'train_cfg.max_iters': 7, 'param_scheduler.1.end': 7,
                         'model.head.decoder.dim': 32})
    cfg.dump(str(tmp_path / 'dumped.py'))
    again = Config.fromfile(str(tmp_path / 'dumped.py'))
    assert again.train_cfg.max_iters == 7 and again.param_scheduler[1]['end'] == 7
    assert again.model.head.decoder.dim == 32
    assert type_name(again.model.head.type) == 'DiffusionMeshHead'


OUTSIDE_CONFIG = textwrap.dedent('''
    from mmengine.config import read_base

    with read_base():
        from diffhand_mm.configs.{name} import *  # noqa: F401,F403

    default_scope = 'another_project'
    model.head.decoder.dim = 32
''')
LOAD = ('import sys, diffhand_mm; from mmengine.config import Config\n'
        'for path in sys.argv[1:]:\n'
        '    c = Config.fromfile(path)\n'
        '    print(c.default_scope, c.model.head.decoder.dim, c.model.head.type.__name__, '
        'c.train_cfg.type.__name__, diffhand_mm.__file__)')


@pytest.fixture(scope='module')
def wheel_site(tmp_path_factory, diffhand_wheel):
    """diffhand_mm installed from its wheel (not editable) into a folder of its own."""
    site = tmp_path_factory.mktemp('wheel') / 'site'
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check', '-q']
    subprocess.run(pip + ['install', '--no-deps', '--target', str(site), str(diffhand_wheel)],
                   check=True, capture_output=True)
    return str(site)


@pytest.mark.parametrize('install', ['editable', 'wheel'])
def test_a_config_outside_the_repository_inherits_ours(install, tmp_path, request):
    """`read_base()` imports of diffhand_mm.configs work from an editable install (this
    checkout's .venv) and from the wheel: MMEngine 0.10.7 finds the package through
    pkg_resources (pinned setuptools) and, as no distribution is named diffhand_mm, through
    the import system, which knows where either install lives."""
    names = ['diffhand_tiny_synthhand', 'diffhand_deit_freihand']
    for name in names:
        (tmp_path / f'my_{name}.py').write_text(OUTSIDE_CONFIG.format(name=name))
    env = dict(os.environ)
    if install == 'wheel':
        # First on the path: the wheel's package, not the editable one of this checkout.
        env['PYTHONPATH'] = request.getfixturevalue('wheel_site')
    out = subprocess.run([sys.executable, '-W', 'ignore', '-c', LOAD] +
                         [str(tmp_path / f'my_{name}.py') for name in names],
                         cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [line.split() for line in out.stdout.splitlines()]
    expected_root = env['PYTHONPATH'] if install == 'wheel' else REPO_ROOT
    for (scope, dim, head, loop, package), name in zip(lines, names):
        assert (scope, dim, head) == ('another_project', '32', 'DiffusionMeshHead')
        assert loop == ('IterBasedTrainLoop' if 'tiny' in name else 'EpochBasedTrainLoop')
        assert package.startswith(expected_root), package
    assert len(lines) == len(names)
