"""Runner-level pieces: checkpoint loading that survives torch's weights_only default, strict
checkpoint loading, atomic checkpoint saves, the work-dir lock, hooks, optimizer wrappers."""
from .checkpoint_loading import install_checkpoint_loader, load_local_checkpoint
from .file_backend import AtomicLocalBackend
from .hooks import (MetricsFileHook, NonFiniteLossError, NonFiniteLossHook, StrictLoadHook,
                    TestTimeAugmentationHook, TrainTimeBudgetHook)
from .optim_wrappers import FSDPOptimWrapper
from .strict_loading import (CheckpointMismatchError, check_checkpoint,
                             load_checkpoint_strictly)
from .work_dir_lock import GuardedFlexibleRunner, GuardedRunner, WorkDirInUseError, WorkDirLock

# Installed on import: `register_all_modules()` and the registries' lazy imports both import
# this package, so every runner built from our configs can resume.
install_checkpoint_loader()

__all__ = [
    'install_checkpoint_loader', 'load_local_checkpoint', 'load_checkpoint_strictly',
    'check_checkpoint', 'CheckpointMismatchError', 'AtomicLocalBackend', 'TrainTimeBudgetHook',
    'StrictLoadHook', 'NonFiniteLossHook', 'NonFiniteLossError', 'GuardedRunner',
    'GuardedFlexibleRunner', 'WorkDirLock', 'WorkDirInUseError', 'FSDPOptimWrapper',
    'MetricsFileHook', 'TestTimeAugmentationHook'
]
