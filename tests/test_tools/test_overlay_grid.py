"""tools/analysis/overlay_grid.py: the README's picture from the demo's files."""
import cv2
import numpy as np
import pytest

from diffhand_mm.utils.cli import InputError
from tools.analysis.overlay_grid import overlay_grid


def test_columns_of_input_overlay_and_side_view(tmp_path):
    images, demo = tmp_path / 'rgb', tmp_path / 'demo'
    images.mkdir(), demo.mkdir()
    for i, value in enumerate((10, 20, 30)):
        cv2.imwrite(str(images / f'{i:08d}.png'), np.full((8, 6, 3), value, np.uint8))
        cv2.imwrite(str(demo / f'{i:08d}_overlay.jpg'), np.full((8, 6, 3), value + 1, np.uint8))
        cv2.imwrite(str(demo / f'{i:08d}_side.jpg'), np.full((8, 6, 3), value + 2, np.uint8))
    grid = overlay_grid(str(images), str(demo), 2)
    assert grid.shape == (24, 12, 3)
    np.testing.assert_allclose(grid[::8, ::6, 0], [[10, 20], [11, 21], [12, 22]], atol=2)
    (demo / '00000001_side.jpg').unlink()
    with pytest.raises(InputError, match='00000001_side.jpg'):
        overlay_grid(str(images), str(demo), 2)
    with pytest.raises(InputError, match='fewer than --num 4'):
        overlay_grid(str(images), str(demo), 4)
