"""MeshVisualizationHook: draws predictions during validation and testing."""
import os
import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine
from mmengine.fileio import get as get_bytes
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.visualization import Visualizer

from diffhand_mm.registry import HOOKS


@HOOKS.register_module()
class MeshVisualizationHook(Hook):
    """Draw predictions with the runner's visualiser (``MeshVisualizer``), the MMPose way.

    Validation: the first sample of every ``interval``-th batch goes to the visualisation
    backends. Testing: every ``interval``-th sample is drawn, written to
    ``<work_dir>/<timestamp>/<out_dir>/<image name>.jpg`` when ``out_dir`` is set
    (``tools/test.py --show-dir``), shown when ``show`` (``--show``), else sent to the backends.
    Samples without a readable ``img_path`` (e.g. rendered on the fly) are skipped, once said.

    Args:
        enable: Draw at all; ``tools/test.py --show-dir / --show`` turn it on.
        interval: Draw every ``interval``-th batch (validation) or sample (testing).
        kpt_thr: Passed to the visualiser (MMPose's interface).
        show: Show the drawings in a window (needs a display).
        wait_time: Seconds each drawing is shown.
        out_dir: Folder for test drawings, under the run's work dir / timestamp.
        draw_gt: Also draw the ground-truth keypoints.
        backend_args: MMEngine file-backend arguments for reading the images.
    """

    priority = 'NORMAL'

    def __init__(self, enable: bool = False, interval: int = 50, kpt_thr: float = 0.3,
                 show: bool = False, wait_time: float = 0.0, out_dir: Optional[str] = None,
                 draw_gt: bool = True, backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'MeshVisualizationHook: interval must be >= 1, got {interval}.')
        self.enable = enable
        self.interval = interval
        self.kpt_thr = kpt_thr
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self.draw_gt = draw_gt
        self.backend_args = backend_args
        self._test_index = 0
        self._test_dir = None
        self._told_unreadable = False

    def _read_rgb(self, img_path: Optional[str]):
        if not img_path or not osp.isfile(img_path) and '://' not in img_path:
            if not self._told_unreadable:
                print_log(f'MeshVisualizationHook: cannot read {img_path!r}; samples without an '
                          'image file are not drawn.', logger='current')
                self._told_unreadable = True
            return None
        return mmcv.imfrombytes(get_bytes(img_path, backend_args=self.backend_args),
                                channel_order='rgb')

    def _draw(self, name: str, data_sample, step: int, out_file: Optional[str] = None) -> None:
        image = self._read_rgb(data_sample.get('img_path'))
        if image is None:
            return
        visualizer = Visualizer.get_current_instance()
        visualizer.add_datasample(name, image, data_sample=data_sample, draw_gt=self.draw_gt,
                                  draw_bbox=True, show=self.show, wait_time=self.wait_time,
                                  kpt_thr=self.kpt_thr, out_file=out_file, step=step)

    def _set_meta(self, evaluator) -> None:
        visualizer = Visualizer.get_current_instance()
        if hasattr(visualizer, 'set_dataset_meta'):
            visualizer.set_dataset_meta(getattr(evaluator, 'dataset_meta', None))

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        if not self.enable or batch_idx % self.interval:
            return
        self._set_meta(runner.val_evaluator)
        self._draw('val_img', outputs[0], step=runner.iter + batch_idx)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        if not self.enable:
            return
        if self.out_dir is not None and self._test_dir is None:
            self._test_dir = osp.join(runner.work_dir, runner.timestamp, self.out_dir)
            mmengine.mkdir_or_exist(self._test_dir)
        self._set_meta(runner.test_evaluator)
        for data_sample in outputs:
            self._test_index += 1
            if (self._test_index - 1) % self.interval:
                continue
            name = osp.splitext(osp.basename(str(data_sample.get('img_path'))))[0]
            out_file = None if self._test_dir is None else osp.join(
                self._test_dir, f'{self._test_index - 1:06d}_{name}.jpg')
            self._draw(name if self.show else 'test_img', data_sample, self._test_index,
                       out_file)
