"""Runner hooks: a training time budget, strict checkpoint loading, a stop at the first
non-finite loss, the test metrics to a file, test-time augmentation for testing only."""
import math
import os.path as osp
import time
from typing import Optional, Sequence

import torch
from mmengine import dist
from mmengine.fileio import dump
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import find_latest_checkpoint
from mmengine.utils import mkdir_or_exist

from diffhand_mm.registry import HOOKS
from diffhand_mm.utils.cli import InputError
from .strict_loading import check_checkpoint


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
class StrictLoadHook(Hook):
    """Refuse a checkpoint made for another model before the runner loads it.

    MMEngine's runner loads ``load_from`` (test, fine-tuning) and resumed checkpoints with
    ``strict=False``: a checkpoint of another config loads partly, with a key list on the
    console, or silently when only the config differs. This hook runs
    :func:`~diffhand_mm.engine.strict_loading.check_checkpoint` on every checkpoint the
    runner loads (``after_load_checkpoint`` comes before the weights are copied).

    Args:
        allowed_missing: Regular expressions of model keys a checkpoint may lack, e.g. a
            branch added for fine-tuning (``[r'^head\\.depth_branch\\.']``).
        check_config: Also compare the checkpoint's ``meta.cfg`` model section with the
            runner's config.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allowed_missing: Sequence[str] = (), check_config: bool = True) -> None:
        self.allowed_missing = tuple(allowed_missing)
        self.check_config = check_config

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        source = getattr(runner, '_load_from', None) or \
            find_latest_checkpoint(runner.work_dir) or 'the checkpoint'
        check_checkpoint(model, checkpoint, runner.cfg.get('model'), source=source,
                         config_name=runner.cfg.filename or 'the config',
                         allowed_missing=self.allowed_missing, check_config=self.check_config)


class NonFiniteLossError(InputError):
    """Training produced a NaN or infinite loss; the message names the batch's samples."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN or infinite loss, naming the batch's samples.

    A NaN label or an exploding step makes every later loss NaN; MMEngine would carry on and
    save checkpoints full of NaN. This hook raises instead, before the checkpoint hook
    (which runs last) can save anything from that iteration; in a distributed run every rank
    stops together and the message lists the samples of all ranks' batches.
    """

    # Before LoggerHook, TrainTimeBudgetHook and CheckpointHook (VERY_LOW).
    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        losses = {k: float(v.detach() if isinstance(v, torch.Tensor) else v)
                  for k, v in (outputs or {}).items()
                  if 'loss' in k and isinstance(v, (torch.Tensor, float, int))}
        bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
        if dist.get_world_size() > 1:  # one rank's NaN stops all of them
            flag = torch.tensor(float(bool(bad)), device=dist.get_comm_device())
            dist.all_reduce(flag, op='max')
            if not flag.item():
                return
            samples = [s for rank in dist.all_gather_object(_batch_samples(data_batch))
                       for s in rank]
        elif bad:
            samples = _batch_samples(data_batch)
        else:
            return
        where = f' (rank {dist.get_rank()}: ' + ', '.join(f'{k}={v}' for k, v in bad.items()) \
            + ')' if bad else ''
        last = find_latest_checkpoint(runner.work_dir)
        raise NonFiniteLossError(
            f'non-finite loss at iteration {runner.iter + 1}{where}; the batch held samples '
            f'{_describe(samples)}. Training stopped and nothing was saved from this iteration '
            f'(last checkpoint: {last or "none"}). Check these samples\' labels, or lower the '
            'learning rate if they are fine.')


def _batch_samples(data_batch) -> list:
    """(sample id, image path or None) of each sample of a batch: from the data samples'
    metainfo (our datasets), else from MMEngine's ``sample_idx``."""
    if not isinstance(data_batch, dict):
        return []
    if data_batch.get('data_samples'):
        return [(s.metainfo.get('sample_id', s.metainfo.get('sample_idx')),
                 s.metainfo.get('img_path')) for s in data_batch['data_samples']
                if hasattr(s, 'metainfo')]
    ids = data_batch.get('sample_idx')
    return [] if ids is None else [(int(i), None) for i in ids]


def _describe(samples: list) -> str:
    ids = [str(i) for i, _ in samples]
    paths = [p for _, p in samples if p]
    shown = f'ids {", ".join(ids)}' if ids else 'unknown ids'
    return shown + (f' (images {", ".join(paths[:3])}{", ..." if len(paths) > 3 else ""})'
                    if paths else '')


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
        if metrics is not None and dist.is_main_process():
            mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
            dump(dict(metrics), self.out_file)


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
