"""Strict checkpoint loading: a checkpoint made for another model is an error, not garbage.

Two checks, both before any weight is copied:

1. Weights: every parameter and persistent buffer of the model must be in the checkpoint with
   the same shape, and the checkpoint must hold nothing else. The error names the missing,
   unexpected and mis-shaped keys.
2. Config: MMEngine stores the training config's text in ``meta.cfg``. Its ``model`` section
   is compared with the given one; settings that do not change what the weights mean
   (:data:`IGNORED_KEYS`: test-time sampling, losses, initialisation, file paths) are skipped.
   This catches checkpoints whose weights fit but mean something else (the no-diffusion
   ablation has the same parameter names as DiffHand). Without ``meta.cfg`` the check is
   skipped with a warning saying so.

The config text is read with :mod:`ast` as literals only: a checkpoint's text is never run
(``Config.fromstring`` would execute it).
"""
import ast
import logging
import math
import re
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from diffhand_mm.registry import type_name
from diffhand_mm.utils.cli import InputError
from .checkpoint_loading import load_local_checkpoint

#: Keys (at any depth of the model config) whose values do not change what the weights mean.
IGNORED_KEYS = ('test_cfg', 'train_cfg', 'init_cfg', 'pretrained', 'checkpoint', 'model_path')
#: Key prefixes skipped likewise: loss settings only matter for training.
IGNORED_PREFIXES = ('loss',)
_SHOWN = 4


class CheckpointMismatchError(InputError):
    """The checkpoint does not belong to the model / config it is loaded into."""


# ----------------------------------------------------------------------------- config text
class _Unknown:
    """An expression of the config text that is not a literal (never evaluated)."""

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, _Unknown) and other.text == self.text

    def __repr__(self):
        return self.text


def _literal(node: ast.AST) -> Any:
    """Value of a literal expression of a config file; `dict(a=1)` calls included."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            return _Unknown(ast.unparse(node))
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == 'dict' and not node.args and all(k.arg for k in node.keywords):
        return {k.arg: _literal(k.value) for k in node.keywords}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand)
        if isinstance(value, (int, float)):
            return -value if isinstance(node.op, ast.USub) else value
    # Names and dotted names (classes in new-style configs): kept as their text.
    return _Unknown(ast.unparse(node))


def config_section(text: str, name: str) -> Optional[Any]:
    """The value assigned to ``name`` at the top level of a config's text, as literals.

    Returns:
        The value (dicts, lists, numbers, strings; other expressions as their source text),
        or None if the text does not parse or has no such assignment.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    value = None
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            value = _literal(statement.value)
    return value


def _type_name(value: Any) -> Any:
    """A component type as its bare class name: 'diffhand_mm.DiffHand', <class ...DiffHand>,
    and a new-style config's DiffHand all become 'DiffHand'."""
    if isinstance(value, _Unknown):
        value = re.sub(r"^<class '(.*)'>$", r'\1', value.text)
    return type_name(value) if isinstance(value, (str, type)) else value


def _ignored(key: str) -> bool:
    return key in IGNORED_KEYS or key.startswith(IGNORED_PREFIXES)


def compare_model_configs(saved: Any, given: Any, path: str = 'model'
                          ) -> Tuple[List[str], List[str]]:
    """Differences between two model config sections.

    Args:
        saved: The checkpoint's ``model`` section (from :func:`config_section`).
        given: The config's ``model`` (dict / ConfigDict).
        path: Dotted prefix for messages.

    Returns:
        ``(differences, unchecked)``: ``'model.head.use_diffusion: checkpoint False, config
        True'`` lines, and dotted keys present on one side only.
    """
    if isinstance(saved, dict) and isinstance(given, dict):
        if 'type' in saved and 'type' in given and \
                _type_name(saved['type']) != _type_name(given['type']):
            # Another component: its other settings are not comparable.
            return [f'{path}.type: checkpoint {_type_name(saved["type"])!r}, config '
                    f'{_type_name(given["type"])!r}'], []
        differences, unchecked = [], []
        for key in sorted(set(saved) | set(given), key=str):
            if _ignored(str(key)):
                continue
            where = f'{path}.{key}'
            if key not in saved or key not in given:
                unchecked.append(where + (' (only in the config)' if key in given
                                          else " (only in the checkpoint's config)"))
                continue
            saved_value, given_value = saved[key], given[key]
            if key == 'type':
                saved_value, given_value = _type_name(saved_value), _type_name(given_value)
            more, loose = compare_model_configs(saved_value, given_value, where)
            differences += more
            unchecked += loose
        return differences, unchecked
    if isinstance(saved, (list, tuple)) and isinstance(given, (list, tuple)) and \
            len(saved) == len(given):
        differences, unchecked = [], []
        for i, (a, b) in enumerate(zip(saved, given)):
            more, loose = compare_model_configs(a, b, f'{path}[{i}]')
            differences += more
            unchecked += loose
        return differences, unchecked
    if _same_value(saved, given):
        return [], []
    return [f'{path}: checkpoint {saved!r}, config {given!r}'], []


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, _Unknown) or isinstance(b, _Unknown):
        return str(a) == str(b)
    return a == b


# ----------------------------------------------------------------------------- weights
def _plain(config: Any) -> Any:
    """ConfigDict / tuples -> plain dicts and lists, for comparison."""
    if isinstance(config, dict):
        return {k: _plain(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [_plain(v) for v in config]
    return config


def _examples(keys: Sequence[str]) -> str:
    shown = ', '.join(keys[:_SHOWN])
    return shown + (f', ... ({len(keys)} in all)' if len(keys) > _SHOWN else '')


def state_dict_problems(model: nn.Module, state_dict: Dict[str, torch.Tensor],
                        allowed_missing: Sequence[str] = ()) -> List[str]:
    """What keeps ``state_dict`` from loading strictly into ``model``.

    Args:
        model: The model (unwrapped).
        state_dict: The checkpoint's weights (a ``module.`` prefix is ignored).
        allowed_missing: Regular expressions of model keys the checkpoint may lack (e.g. a
            branch added for fine-tuning).

    Returns:
        Phrases like ``'3 missing keys (head.x, ...)'``; empty if it fits.
    """
    expected = model.state_dict()
    given = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    missing = [k for k in expected if k not in given
               and not any(re.search(p, k) for p in allowed_missing)]
    unexpected = [k for k in given if k not in expected]
    misshaped = [f'{k} (checkpoint {tuple(given[k].shape)}, model {tuple(v.shape)})'
                 for k, v in expected.items()
                 if k in given and hasattr(given[k], 'shape') and
                 tuple(given[k].shape) != tuple(v.shape)]
    problems = []
    for keys, what in ((missing, 'missing'), (unexpected, 'unexpected'),
                       (misshaped, 'mis-shaped')):
        if keys:
            problems.append(f'{len(keys)} {what} key{"s" if len(keys) > 1 else ""} '
                            f'({_examples(keys)})')
    return problems


def check_checkpoint(model: nn.Module, checkpoint: dict, model_cfg: Optional[dict] = None,
                     source: str = 'the checkpoint', config_name: str = 'the config',
                     allowed_missing: Sequence[str] = (), check_config: bool = True) -> None:
    """Raise unless ``checkpoint`` belongs to ``model`` (see the module docstring).

    Args:
        model: The model to load into (unwrapped).
        checkpoint: The loaded checkpoint (``state_dict`` and ``meta``), or a bare state dict.
        model_cfg: The ``model`` section of the config the model was built from; None skips
            the config comparison.
        source: The checkpoint's name, for messages.
        config_name: The config's name, for messages.
        allowed_missing: See :func:`state_dict_problems`.
        check_config: Compare ``meta.cfg`` with ``model_cfg``.

    Raises:
        CheckpointMismatchError: naming the missing / unexpected / mis-shaped keys and the
            differing model settings.
    """
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) \
        else None
    if not isinstance(state_dict, dict):
        raise CheckpointMismatchError(f'{source}: not a model checkpoint (no state_dict)')
    problems = state_dict_problems(model, state_dict, allowed_missing)
    differences = []
    if check_config and model_cfg is not None:
        meta = checkpoint.get('meta') if 'state_dict' in checkpoint else None
        text = meta.get('cfg') if isinstance(meta, dict) else None
        saved = config_section(text, 'model') if isinstance(text, str) else None
        if saved is None:
            print_log(f'{source}: no training config in the checkpoint (meta.cfg), so its model '
                      f'settings could not be compared with {config_name}; only the names and '
                      'shapes of the weights were checked.', logger='current',
                      level=logging.WARNING)
        else:
            differences, unchecked = compare_model_configs(saved, _plain(model_cfg))
            if unchecked:
                print_log(f'{source}: model settings not compared (present on one side only): '
                          f'{_examples(unchecked)}', logger='current', level=logging.WARNING)
    if problems or differences:
        parts = []
        if problems:
            parts.append('its weights do not fit the model: ' + '; '.join(problems))
        if differences:
            parts.append('it was trained with other model settings: ' +
                         '; '.join(differences[:_SHOWN]) +
                         (f'; ... ({len(differences)} in all)' if len(differences) > _SHOWN
                          else ''))
        raise CheckpointMismatchError(
            f'{source} was not made for {config_name}: ' + '. Also, '.join(parts) +
            '. Use the config the checkpoint was trained with (its settings are in the '
            "checkpoint's meta.cfg).")


def load_checkpoint_strictly(model: nn.Module, filename: str,
                             model_cfg: Optional[dict] = None, config_name: str = 'the config',
                             map_location='cpu', allowed_missing: Sequence[str] = ()) -> dict:
    """Check (:func:`check_checkpoint`) and load a local checkpoint into ``model``.

    The one loader of tools/test.py (through :class:`~diffhand_mm.engine.StrictLoadHook`),
    tools/demo.py, the inferencer and tools/export_model.py.

    Args:
        model: The model (unwrapped).
        filename: A ``.pth`` file.
        model_cfg: The config's ``model`` section (compared with the checkpoint's).
        config_name: For messages, e.g. the config's path.
        map_location: As for :func:`torch.load`.
        allowed_missing: See :func:`state_dict_problems`.

    Returns:
        The checkpoint dict.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        CheckpointMismatchError: see :func:`check_checkpoint`.
    """
    checkpoint = load_local_checkpoint(filename, map_location=map_location)
    check_checkpoint(model, checkpoint, model_cfg, source=filename,
                     config_name=config_name, allowed_missing=allowed_missing)
    state_dict = checkpoint.get('state_dict', checkpoint)
    model.load_state_dict(OrderedDict((re.sub(r'^module\.', '', k), v)
                                      for k, v in state_dict.items()),
                          strict=not allowed_missing)
    return checkpoint
