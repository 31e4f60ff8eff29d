"""LoadHandImage serves in-memory images too; datasets carry their name without warnings."""
import numpy as np
import pytest
from mmengine.logging import MMLogger

from diffhand_mm.datasets import FreiHANDDataset
from diffhand_mm.datasets.transforms import LoadHandImage
from tests.test_datasets.dataset_writers import write_freihand


def test_in_memory_image_passes_through():
    img = np.full((30, 40, 3), 7, np.uint8)
    out = LoadHandImage()(dict(img=img, img_path='synthhand://0'))
    assert out['img'] is img
    assert out['img_shape'] == out['ori_shape'] == (30, 40)


def test_in_memory_image_of_wrong_type_is_named():
    with pytest.raises(ValueError, match='synthhand://3.*uint8'):
        LoadHandImage()(dict(img=np.zeros((8, 8), np.float32), img_path='synthhand://3'))


def test_dataset_name_in_metainfo_without_meta_file_warning(tmp_path, capfd):
    write_freihand(str(tmp_path), num=2, versions=1)
    MMLogger.get_current_instance()
    dataset = FreiHANDDataset(str(tmp_path), versions=('gs',))
    assert dataset.metainfo['dataset_name'] == 'freihand'
    assert dataset.get_data_info(0)['dataset_name'] == 'freihand'
    captured = capfd.readouterr()
    assert "is not a meta file" not in captured.out + captured.err
