"""Runner hooks."""
import time
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

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
class TestTimeAugmentationHook(Hook):
    """Test with test-time augmentation, validate without it.

    Sets ``model.test_cfg['tta']`` (see :mod:`diffhand_mm.models.tta`) for ``runner.test()``
    and puts the previous value back afterwards, so the validations during training keep the
    cost of a plain prediction (Graphormer's set is ~95 passes per image). The paper reports
    FreiHAND with TTA; the FreiHAND config adds this hook. Without the hook, setting
    ``model.test_cfg.tta`` applies TTA to validation and testing alike.

    Args:
        tta: The TTA settings: ``rotations``, ``scales``, ``align``, ``batch_passes``.
    """

    def __init__(self, tta: dict) -> None:
        from diffhand_mm.models.tta import augmentation_list
        augmentation_list(tta)  # a wrong setting fails when the config is built
        self.tta = dict(tta)
        self._previous = None

    @staticmethod
    def _test_cfg(runner) -> dict:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.test_cfg

    def before_test(self, runner) -> None:
        test_cfg = self._test_cfg(runner)
        self._previous = test_cfg.get('tta')
        test_cfg['tta'] = dict(self.tta)

    def after_test(self, runner) -> None:
        test_cfg = self._test_cfg(runner)
        if self._previous is None:
            test_cfg.pop('tta', None)
        else:
            test_cfg['tta'] = self._previous
