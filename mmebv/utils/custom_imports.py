"""Which module registers each mmebv type, and a check that a config imports what it uses.

Without ``custom_imports`` a config that names ``EBVUPerHead`` fails deep in the registry with
"EBVUPerHead is not in the mmseg::model registry"; this check names the missing import instead.
"""
import sys
from typing import Any, Iterator

# type name -> the module whose import registers it (tests keep this in step with the registries)
REGISTERED_BY = {
    'EBVClsHead': 'mmebv.models',
    'SmallConvNet': 'mmebv.models',
    'EBVLinear': 'mmebv.models.det',
    'EBVFCNMaskHead': 'mmebv.models.det',
    'EBVUPerHead': 'mmebv.models.seg',
    'EBVFCNHead': 'mmebv.models.seg',
    'EBVFPNHead': 'mmebv.models.seg',
    'LocalFashionMNIST': 'mmebv.datasets',
    'ProgressBarHook': 'mmebv.engine',
    'EpochSeedHook': 'mmebv.engine',
    'RiemannianSGD': 'mmebv.engine',
    'GrassmannClsHead': 'mmebv.models',
    'LargestMarginClsHead': 'mmebv.models',
    'LMSoftmaxLoss': 'mmebv.models',
    'DMLCRCClsHead': 'mmebv.models',
}
# the entries of a config that the Runner builds from registries
BUILT_KEYS = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'default_hooks',
              'custom_hooks', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator')


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
    built = [cfg.get(key) for key in BUILT_KEYS]
    used = {t for t in _types(built) if t in REGISTERED_BY}
    missing = sorted({REGISTERED_BY[t] for t in used} - set(sys.modules))
    if missing:
        names = ', '.join(sorted(t for t in used if REGISTERED_BY[t] in missing))
        raise ImportError(f'the config uses {names} but does not import {", ".join(missing)}: add '
                          f'custom_imports = dict(imports={missing!r}, allow_failed_imports=False) to it')
