"""``MMEBV_SMOKE``: run a documented command as written, on a few samples, to check that it works.

With ``MMEBV_SMOKE=1`` in the environment, ``tools/train.py`` and ``tools/test.py`` (and so
``dist_train.sh`` / ``dist_test.sh``, which call them) cut every dataset of the config to its first
``MMEBV_SMOKE_SAMPLES`` samples (default 8) and an iteration-based training loop to at most
``MMEBV_SMOKE_ITERS`` iterations (default 2). Nothing else changes: the model, the pipelines, the
batch sizes, the number of epochs, the workers and the schedules are the config's. The figures such
a run prints mean nothing; the run shows that the command, the config and the data work together.
The documentation's command test (``tests/test_docs``) runs every documented command this way.

    MMEBV_SMOKE=1 python tools/train.py configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py
"""
import os
from typing import Any, Mapping, Optional, Tuple

ENABLE, SAMPLES, ITERS = 'MMEBV_SMOKE', 'MMEBV_SMOKE_SAMPLES', 'MMEBV_SMOKE_ITERS'
DEFAULT_SAMPLES, DEFAULT_ITERS = 8, 2


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, '')
    if text == '':
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f'{name}={text!r}: expected a whole number >= 1 (default {default}); '
                         f'unset it for the default')
    return int(text)


def smoke_limits(environ: Optional[Mapping[str, str]] = None) -> Optional[Tuple[int, int]]:
    """(samples per dataset, iterations of an iteration-based loop) when ``MMEBV_SMOKE=1``, else None.

    Args:
        environ (Mapping[str, str], optional): the environment to read. Defaults to ``os.environ``.
    """
    environ = os.environ if environ is None else environ
    flag = environ.get(ENABLE, '')
    if flag in ('', '0'):
        return None
    if flag != '1':
        raise ValueError(f'{ENABLE}={flag!r}: expected 1 (smoke run) or 0 / unset (a normal run)')
    return _positive_int(environ, SAMPLES, DEFAULT_SAMPLES), _positive_int(environ, ITERS, DEFAULT_ITERS)


def _cut_dataset(dataset: Any, samples: int) -> None:
    """Set ``indices`` on every leaf dataset config under ``dataset`` (wrappers are descended)."""
    if not isinstance(dataset, dict):
        return
    if 'dataset' in dataset or 'datasets' in dataset:  # RepeatDataset, ConcatDataset, ClassBalanced...
        inner = dataset.get('dataset', dataset.get('datasets'))
        for leaf in (inner if isinstance(inner, (list, tuple)) else [inner]):
            _cut_dataset(leaf, samples)
        return
    indices = dataset.get('indices')
    if isinstance(indices, int):
        dataset['indices'] = min(indices, samples)
    elif isinstance(indices, (list, tuple)):
        dataset['indices'] = list(indices)[:samples]
    else:
        dataset['indices'] = samples


def apply_smoke(cfg: Any, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Cut ``cfg``'s data and iteration counts in place when ``MMEBV_SMOKE=1``; say so. True if it did.

    Args:
        cfg (mmengine.Config): the loaded config (after ``--cfg-options``).
        environ (Mapping[str, str], optional): the environment to read. Defaults to ``os.environ``.
    """
    limits = smoke_limits(environ)
    if limits is None:
        return False
    samples, iters = limits
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if isinstance(loader, dict):
            _cut_dataset(loader.get('dataset'), samples)
    train_cfg = cfg.get('train_cfg')
    if isinstance(train_cfg, dict) and 'max_iters' in train_cfg:
        train_cfg['max_iters'] = min(train_cfg['max_iters'], iters)
        if 'val_interval' in train_cfg:
            train_cfg['val_interval'] = min(train_cfg['val_interval'], train_cfg['max_iters'])
    print(f'{ENABLE}=1: every dataset cut to its first {samples} samples ({SAMPLES}), an iteration-based '
          f'loop to {iters} iterations ({ITERS}); a check that the command runs, not a result', flush=True)
    return True
