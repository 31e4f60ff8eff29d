"""Runner hooks."""
import os.path as osp
import time
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.fileio import dump
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist

from diffhand_mm.registry import HOOKS


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Stop an iteration-based run once its training time exceeds a budget.

    Only time spent in training iterations counts (data loading included, validation
    excluded), so runs compared "at equal budget" get the same compute for learning whatever
    their validation cost. The loop then ends as if ``max_iters`` had been reached, so the
    final validation and the last checkpoint still happen.

    Args:
        budget_seconds: Training time allowed, in seconds.
    """

    # Before CheckpointHook (VERY_LOW), so it sees the shortened loop and saves the last iteration.
    priority = 'LOW'

    def __init__(self, budget_seconds: float) -> None:
        if budget_seconds <= 0:
            raise ValueError(f'budget_seconds must be positive, got {budget_seconds}')
        self.budget_seconds = float(budget_seconds)
        self.spent_seconds = 0.0
        self._last_end: Optional[float] = None

    def before_train(self, runner) -> None:
        self._last_end = time.perf_counter()

    def before_val_epoch(self, runner) -> None:
        self._last_end = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._last_end = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        now = time.perf_counter()
        if self._last_end is not None:  # time since the previous iteration ended (data + step)
            self.spent_seconds += now - self._last_end
        self._last_end = now
        runner.message_hub.update_info('train_time_seconds', self.spent_seconds)
        if self.spent_seconds >= self.budget_seconds:
            loop = runner.train_loop
            if hasattr(loop, '_max_iters') and loop._max_iters > runner.iter + 1:
                runner.logger.info(
                    f'TrainTimeBudgetHook: {self.spent_seconds:.0f} s of training reached the '
                    f'budget of {self.budget_seconds:.0f} s at iteration {runner.iter + 1}.')
                loop._max_iters = runner.iter + 1


@HOOKS.register_module()
class MetricsFileHook(Hook):
    """Write the test metrics to a file (``tools/test.py --out``, as MMPose's ``--out``).

    Args:
        out_file: ``.json``, ``.yaml``/``.yml`` or ``.pkl`` path; its folder is created.
    """

    priority = 'LOWEST'

    def __init__(self, out_file: str) -> None:
        if not out_file.endswith(('.json', '.yaml', '.yml', '.pkl', '.pickle')):
            raise ValueError(f'MetricsFileHook: {out_file!r} must end with .json, .yaml, .yml '
                             'or .pkl.')
        self.out_file = out_file

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if metrics is not None and is_main_process():
            mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
            dump(dict(metrics), self.out_file)
