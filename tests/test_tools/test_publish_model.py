"""tools/publish_model.py keeps exactly the weights and loads back safely."""
import pytest
import torch
from mmengine.logging import MessageHub

from diffhand_mm.engine import load_local_checkpoint
from tools.publish_model import publish


def test_publish_keeps_weights_and_drops_training_state(tmp_path):
    weights = dict(w=torch.arange(6.0).reshape(2, 3), b=torch.ones(3))
    hub = MessageHub.get_instance('publish_test')
    hub.update_scalar('train/loss', 1.0)
    source = tmp_path / 'iter_10.pth'
    torch.save(dict(state_dict=weights, optimizer=dict(state={}), message_hub=hub.state_dict(),
                    meta=dict(iter=10, seed=0, dataset_meta={'x': 1})), source)

    info = publish(str(source), str(tmp_path / 'out' / 'model.pth'))
    published = load_local_checkpoint(str(tmp_path / 'out' / 'model.pth'))
    assert set(published) == {'state_dict', 'meta'}
    assert published['meta'] == dict(iter=10, seed=0)
    for name, value in weights.items():
        torch.testing.assert_close(published['state_dict'][name], value, rtol=0, atol=0)
    assert info['parameters'] == 9


def test_publish_keeps_only_the_named_modules_and_refuses_an_empty_selection(tmp_path):
    weights = {'backbone.conv.weight': torch.ones(2), 'head.camera_head.fc.bias': torch.zeros(3),
               'head.decoder.fc.weight': torch.ones(4)}
    source = tmp_path / 'model.pth'
    torch.save(dict(state_dict=weights, meta=dict(hypothesis_selector=dict(samples=5))), source)
    info = publish(str(source), str(tmp_path / 'init.pth'), keep=['backbone.', 'head.camera_head.'])
    published = load_local_checkpoint(str(tmp_path / 'init.pth'))
    assert sorted(published['state_dict']) == ['backbone.conv.weight', 'head.camera_head.fc.bias']
    assert published['meta'] == dict(hypothesis_selector=dict(samples=5))  # the fit's record
    assert info['parameters'] == 5
    with pytest.raises(KeyError, match=r"model.pth: no weight starts with any of \['neck.'\]"):
        publish(str(source), str(tmp_path / 'none.pth'), keep=['neck.'])
