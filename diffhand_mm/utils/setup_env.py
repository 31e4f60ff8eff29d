"""Module registration and default scope, the MMPose way."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every diffhand_mm module that registers components.

    Args:
        init_default_scope: Also make ``diffhand_mm`` the current default scope, so that
            configs without a scope prefix build our components. If another scope is current,
            a new ``diffhand_mm`` scope instance is created and a warning says so.
    """
    import diffhand_mm.datasets  # noqa: F401
    import diffhand_mm.datasets.transforms  # noqa: F401
    import diffhand_mm.engine  # noqa: F401
    import diffhand_mm.evaluation  # noqa: F401
    import diffhand_mm.hand  # noqa: F401
    import diffhand_mm.models  # noqa: F401
    import diffhand_mm.synth  # noqa: F401
    import diffhand_mm.visualization  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('diffhand_mm'):
        DefaultScope.get_instance('diffhand_mm', scope_name='diffhand_mm')
    elif current.scope_name != 'diffhand_mm':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "diffhand_mm"; '
                      '`register_all_modules` creates a new scope instance named '
                      f'"diffhand_mm-{datetime.datetime.now()}" to force it.')
        DefaultScope.get_instance(f'diffhand_mm-{datetime.datetime.now()}',
                                  scope_name='diffhand_mm')
