"""tools/demo.py and tools/export_model.py end to end on a tiny config and a saved checkpoint."""
import json

import cv2
import numpy as np
import pytest
import torch

# A user's config outside the repository, inheriting the package's tiny model.
CONFIG = '''
from mmengine.config import read_base

with read_base():
    from diffhand_mm.configs._base_.models.diffhand_tiny import *  # noqa: F401,F403

test_pipeline = [
    dict(type='LoadHandImage'),
    dict(type='HandCrop', input_size=(64, 64), padding=1.3),
    dict(type='PackHandInputs'),
]
model.test_cfg.sampling_steps = 2
'''


@pytest.fixture(scope='module')
def config_and_checkpoint(tmp_path_factory):
    """A 64 px test pipeline on the tiny model, and a checkpoint of its random weights."""
    from mmengine.config import Config

    from diffhand_mm.registry import MODELS
    import diffhand_mm.models  # noqa: F401
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    folder = tmp_path_factory.mktemp('demo')
    config = folder / 'tiny64.py'
    config.write_text(CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    # a camera that is not the untrained default, so the checkpoint visibly matters
    torch.nn.init.normal_(model.head.camera_head.box_mlp[-1].bias, std=0.2)
    checkpoint = folder / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), str(checkpoint))
    yield str(config), str(checkpoint), model
    torch.set_num_threads(previous)


def test_demo_writes_meshes_json_and_pictures_with_the_checkpoint(config_and_checkpoint,
                                                                  tmp_path):
    from tools import demo
    config, checkpoint, model = config_and_checkpoint
    image = np.random.default_rng(0).integers(0, 256, (72, 96, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'hand.png'), image)
    out = tmp_path / 'out'
    demo.main([str(tmp_path / 'hand.png'), '--config', config, '--checkpoint', checkpoint,
               '--out-dir', str(out), '--bbox', '10', '5', '70', '65', '--hand', 'left',
               '--hypotheses', '2', '--steps', '1', '--K', '110', '110', '40', '30'])
    assert sorted(p.name for p in out.iterdir()) == [
        'hand_hand0.json', 'hand_hand0.obj', 'hand_overlay.jpg', 'hand_side.jpg']
    saved = json.loads((out / 'hand_hand0.json').read_text())
    assert saved['hand_side'] == 'left' and saved['box'] == [10, 5, 70, 65]
    assert saved['K'] == [[110, 0, 40], [0, 110, 30], [0, 0, 1]]
    assert len(saved['vertex_uncertainty']) == 778
    # the loaded weights place the wrist: the saved model's hand box (half side h) around the
    # joints gives the scale s = h / (joints' half side), which decides the root depth
    # T_z = 2 fx / (s W) with the crop's fx (mirroring a left hand changes neither)
    half_side = float(model.head.camera_head.box_prior * torch.exp(
        model.head.camera_head.box_mlp[-1].bias[0]))
    joints = np.array(saved['joints'])
    joints_rel = joints - joints[:1]
    scale = half_side / ((joints_rel[:, :2].max(0) - joints_rel[:, :2].min(0)) / 2).max()
    crop_fx = 110 * 64 / (60 * 1.3)
    assert abs(joints[0][2] - 2 * crop_fx / (scale * 64)) < 1e-4


def test_export_tool_writes_a_torchscript_that_matches_eager(config_and_checkpoint, tmp_path):
    from tools import export_model
    config, checkpoint, _ = config_and_checkpoint
    out = str(tmp_path / 'sampler.pt')
    differences = export_model.main(['--config', config, '--checkpoint', checkpoint,
                                     '--format', 'torchscript', '--steps', '1', '--out', out])
    assert differences['vertices'] < 1e-4
    module = torch.jit.load(out)
    images = torch.zeros(1, 3, 64, 64)  # the test pipeline's crop size was baked in
    vertices, joints, camera = module(images, torch.randn(1, 778, 3),
                                      torch.eye(3)[None] * torch.tensor([100.0, 100.0, 1.0]))
    assert vertices.shape == (1, 778, 3) and joints.shape == (1, 21, 3)


def _run_tool(main, argv, capsys):
    """(exit status, stdout, stderr) of a tool run the way its __main__ runs it."""
    from diffhand_mm.utils.cli import run_tool
    try:
        run_tool(main, argv, prog='demo.py')
        status = 0
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def test_demo_folder_with_bad_files_reports_them_and_exits_1(config_and_checkpoint, tmp_path,
                                                             capsys):
    from tools import demo
    config, checkpoint, _ = config_and_checkpoint
    pictures = tmp_path / 'pictures'
    pictures.mkdir()
    for name in ('a', 'c'):
        cv2.imwrite(str(pictures / f'{name}.jpg'),
                    np.random.default_rng(0).integers(0, 256, (72, 96, 3), dtype=np.uint8))
    (pictures / 'b.jpg').write_bytes(b'')
    args = [str(pictures), '--config', config, '--checkpoint', checkpoint, '--steps', '1',
            '--no-side-view']
    status, out, err = _run_tool(demo.main, args + ['--out-dir', str(tmp_path / 'out')], capsys)
    assert status == 1
    assert '2 frame(s), 2 hand(s)' in out
    assert err.splitlines()[-2:] == [
        '1 input(s) skipped (--strict stops at the first):',
        f'  Image file is empty (0 bytes): {pictures}/b.jpg']
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'a_hand0.json', 'a_hand0.obj', 'a_overlay.jpg', 'c_hand0.json', 'c_hand0.obj',
        'c_overlay.jpg']
    status, _, err = _run_tool(demo.main, args + ['--out-dir', str(tmp_path / 'strict'),
                                                  '--strict'], capsys)
    assert status == 2 and err.splitlines()[-1] == (
        f'demo.py: error: Image file is empty (0 bytes): {pictures}/b.jpg  (--debug prints '
        'the traceback)')
    assert sorted(p.name for p in (tmp_path / 'strict').iterdir()) == [
        'a_hand0.json', 'a_hand0.obj', 'a_overlay.jpg']


def test_demo_refuses_a_checkpoint_that_does_not_fit(config_and_checkpoint, tmp_path, capsys):
    from tools import demo
    config, checkpoint, _ = config_and_checkpoint
    saved = torch.load(checkpoint, weights_only=True)
    del saved['state_dict']['head.camera_head.box_mlp.0.weight']
    broken = str(tmp_path / 'broken.pth')
    torch.save(saved, broken)
    image = tmp_path / 'hand.png'
    cv2.imwrite(str(image), np.zeros((72, 96, 3), np.uint8))
    status, _, err = _run_tool(demo.main, [str(image), '--config', config, '--checkpoint',
                                           broken, '--out-dir', str(tmp_path / 'out')], capsys)
    assert status == 2 and not (tmp_path / 'out').exists()
    assert err.startswith(f'demo.py: error: {broken} was not made for {config}: its weights do '
                          'not fit the model: 1 missing key (head.camera_head.box_mlp.0.weight)')
