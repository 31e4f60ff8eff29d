"""Runner-level pieces: checkpoint loading that survives torch's weights_only default, hooks."""
from .checkpoint_loading import install_checkpoint_loader, load_local_checkpoint
from .hooks import TestTimeAugmentationHook, TrainTimeBudgetHook

# Installed on import: `register_all_modules()` and the registries' lazy imports both import
# this package, so every runner built from our configs can resume.
install_checkpoint_loader()

__all__ = ['install_checkpoint_loader', 'load_local_checkpoint', 'TrainTimeBudgetHook',
           'TestTimeAugmentationHook']
