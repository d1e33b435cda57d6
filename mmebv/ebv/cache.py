"""Generated bases kept on disk, addressed by what made them, so that a relaunch reads the basis an
earlier run generated instead of generating it again.

A cached basis is an ordinary basis file (:mod:`mmebv.ebv.io`: tensors and plain Python, loaded
with safe loading, checksummed and checked) named after the SHA-256 of N, d, seed, method, budget
and :data:`~mmebv.ebv.basis.GENERATOR_VERSION`: any change to these, or a new generator, gives a
new name, and nothing stale is ever read. Files are written atomically, so two jobs that generate
the same basis at once leave one good file, and a write cut off (kill -9, power cut) leaves only a
temporary file that is never read, and is removed by a later write of the same entry.

The cache only saves time: a file that cannot be read is generated again, and one that cannot be
written (full disk, read-only, no permission) costs a warning, never the run.

Pure torch; no OpenMMLab import.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import stat
import sys
import time
import warnings
from typing import Optional, Tuple, Union

import torch

from mmebv.utils.files import writable_dir

from .basis import GENERATOR_VERSION, default_budget, evaluation_work, generate_ebv
from .io import load_basis, save_basis

ENV_DIR = 'MMEBV_CACHE_DIR'
# Generation that costs less than this many multiply-adds (N <= d, or a small N) is not cached:
# reading a file would take about as long. Nor is an unrefined start (budget 0), built in O(N d):
# keeping it would cost the N^2 d coherence a basis file records. Above NOTICE_WORK it says what it
# is doing.
CACHE_MIN_WORK = 1e9
NOTICE_WORK = 1e10
BETTER = 'python tools/misc/generate_ebv.py {n} {d} --seed {seed} --out FILE'
# a temporary file of an entry older than this was left by a write that was cut off (a write takes seconds)
STALE_SECONDS = 3600


def default_cache_dir() -> str:
    """``$MMEBV_CACHE_DIR``, else ``$XDG_CACHE_HOME/mmebv/bases``, else ``~/.cache/mmebv/bases``."""
    if os.environ.get(ENV_DIR):
        return os.environ[ENV_DIR]
    root = os.environ.get('XDG_CACHE_HOME') or osp.join(osp.expanduser('~'), '.cache')
    return osp.join(root, 'mmebv', 'bases')


def cache_key(num_classes: int, dim: int, seed: int, method: str, budget: int) -> str:
    """The SHA-256 (hex) of everything that decides the generated vectors."""
    what = dict(num_classes=num_classes, dim=dim, seed=seed, method=method, budget=budget,
                generator_version=GENERATOR_VERSION)
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def cache_path(directory: str, num_classes: int, dim: int, seed: int, method: str, budget: int) -> str:
    key = cache_key(num_classes, dim, seed, method, budget)
    return osp.join(directory, f'ebv_{num_classes}x{dim}_seed{seed}_{method}_{key[:16]}.pth')


def remove_stale_writes(path: str, older_than: float = STALE_SECONDS) -> int:
    """Remove the temporary files that cut-off writes of ``path`` left (``<path>.tmp-<pid>``).

    Only regular files older than ``older_than`` seconds: a younger one may be another job's write
    under way.

    Args:
        path (str): a cache entry.
        older_than (float): age in seconds. Defaults to :data:`STALE_SECONDS`.

    Returns:
        int: how many were removed.
    """
    removed = 0
    for tmp in glob.glob(glob.escape(path) + '.tmp-*'):
        try:
            info = os.lstat(tmp)
            if stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime > older_than:
                os.remove(tmp)
                removed += 1
        except OSError:  # gone meanwhile, or not ours to remove: it is never read either way
            pass
    return removed


def _say(line: str) -> None:
    print(f'[mmebv] {line}', file=sys.stderr, flush=True)


def generate_cached(num_classes: int,
                    dim: int,
                    seed: int = 0,
                    method: str = 'auto',
                    budget: Optional[int] = None,
                    cache: Union[bool, str] = True,
                    verbose: Optional[bool] = None) -> Tuple[torch.Tensor, dict]:
    """:func:`~mmebv.ebv.generate_ebv` behind the on-disk cache.

    Args:
        num_classes (int): N.
        dim (int): d.
        seed (int): generation seed. Defaults to 0.
        method (str): generation method. Defaults to 'auto'.
        budget (int, optional): objective evaluations of the refinement. Defaults to
            :func:`~mmebv.ebv.basis.default_budget`.
        cache (bool or str): True for :func:`default_cache_dir`, a directory, or False for no
            cache. Defaults to True.
        verbose (bool, optional): say what is done and show the refinement's progress. Defaults
            to None: when the generation costs more than 1e10 multiply-adds (seconds or more).

    Returns:
        tuple: the (N, d) float32 basis and a dict: ``source`` ('cache' or 'generated'), ``path``
        (the cache file, or None), and the generation's ``info`` (see :func:`generate_ebv`).
    """
    budget = default_budget(num_classes, dim) if budget is None else budget
    # N <= d is an orthonormal basis: one QR, nothing refined
    work = 0.0 if num_classes <= dim else evaluation_work(num_classes, dim) * budget + float(num_classes)**2 * dim
    if work < CACHE_MIN_WORK or budget <= 0:
        cache = False
    verbose = 0 < work >= NOTICE_WORK if verbose is None else verbose
    path = None
    if cache is not False:
        directory = default_cache_dir() if cache is True else str(cache)
        path = cache_path(directory, num_classes, dim, seed, method, budget)
        if osp.isfile(path):
            try:
                basis, meta = load_basis(path, num_classes=num_classes, dim=dim)
            except Exception as error:  # whatever is wrong with a cache file, the basis can be generated again
                warnings.warn(f'the cached EBV basis {path} is unusable ({error}); generating it again')
            else:
                if meta.get('cache_key') == cache_key(num_classes, dim, seed, method, budget):
                    if verbose:
                        _say(f'EBV basis {num_classes} x {dim} (seed {seed}) read from the cache: {path}')
                    return basis, dict(source='cache', path=path, info=meta.get('generation', {}))
                warnings.warn(f'the cached EBV basis {path} was made from other arguments; generating it again')
        problem = writable_dir(directory)
        if problem is not None:
            warnings.warn(f'the EBV basis cache directory {directory!r} is not writable ({problem}): the basis '
                          f'is generated but not kept, so every launch generates it again. Point '
                          f'basis=dict(..., cache=DIR) or ${ENV_DIR} at a writable directory, or set '
                          f'cache=False.')
            path = None
    if verbose:
        _say(f'generating an EBV basis of {num_classes} x {dim} (seed {seed}, method {method}) within a budget '
             f'of {budget} evaluations; for a better basis, make a file once with '
             f'`{BETTER.format(n=num_classes, d=dim, seed=seed)}` and set basis=dict(type=\'EBV\', file=FILE)')
    info = {}
    basis = generate_ebv(num_classes, dim, seed=seed, method=method, budget=budget, verbose=verbose, info=info)
    if path is not None:
        remove_stale_writes(path)
        try:
            save_basis(path, basis, seed=seed, method=method, budget=budget, generator_version=GENERATOR_VERSION,
                       cache_key=cache_key(num_classes, dim, seed, method, budget), generation=info)
            if verbose:
                _say(f'kept in the cache: {path}')
        except (OSError, RuntimeError) as error:  # torch.save reports a full disk as a RuntimeError
            warnings.warn(f'could not keep the EBV basis in the cache ({path}: {type(error).__name__}: '
                          f'{" ".join(str(error).split())[:200]}); training goes on with the basis in memory, and '
                          f'the next launch generates it again. Free space in, or point ${ENV_DIR} or '
                          f'basis=dict(..., cache=DIR) at, a writable directory; or set cache=False')
            path = None
    return basis, dict(source='generated', path=path, info=info)
