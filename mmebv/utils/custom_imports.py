"""Which module registers each mmebv type, and a check that a config imports what it uses.

Without ``custom_imports`` a config that names ``EBVUPerHead`` fails deep in the registry with
"EBVUPerHead is not in the mmseg::model registry"; this check names the missing import instead.
The map is read from the ``__all__`` of each host's glue package, parsed without importing it (an
import is exactly what may be missing), so a new registered type needs no entry here.
"""
import ast
import functools
import os.path as osp
import sys
from typing import Any, Dict, Iterator

GLUE_PACKAGES = ('mmebv.cls', 'mmebv.det', 'mmebv.seg', 'mmebv.engine')
# the entries of a config that the Runner builds from registries
BUILT_KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'default_hooks',
              'custom_hooks', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator')


@functools.lru_cache()
def registered_by() -> Dict[str, str]:
    """Type name -> the glue package whose import registers it."""
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    out = {}
    for package in GLUE_PACKAGES:
        path = osp.join(root, *package.split('.')[1:], '__init__.py')
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
                out.update({name: package for name in ast.literal_eval(node.value)})
    return out


def _types(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get('type'), str):
            yield node['type'].split('.')[-1]
        for value in node.values():
            yield from _types(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _types(value)


def check_custom_imports(cfg: Any) -> None:
    """Raise ``ImportError`` if ``cfg`` names an mmebv type whose module was not imported.

    Args:
        cfg (mmengine.Config): a loaded config (``Config.fromfile`` has run its custom_imports).
    """
    where = registered_by()
    used = {t for t in _types([cfg.get(key) for key in BUILT_KEYS]) if t in where}
    missing = sorted({where[t] for t in used} - set(sys.modules))
    if missing:
        names = ', '.join(sorted(t for t in used if where[t] in missing))
        raise ImportError(f'the config uses {names} but does not import {", ".join(missing)}: add '
                          f'custom_imports = dict(imports={missing!r}, allow_failed_imports=False) to it')
