"""diffhand_mm's configs, in MMEngine's pure-Python ("new") style.

Another project inherits them with ``read_base`` (docs/configs.md)::

    from mmengine.config import read_base
    with read_base():
        from diffhand_mm.configs.diffhand_tiny_synthhand import *  # noqa: F401,F403

The repository's top-level ``configs/`` is a link to this folder, so ``python tools/train.py
configs/diffhand_tiny_synthhand.py`` reads these same files.
"""
