"""The OpenMMLab stack mmebv is tested with, and the ranges it supports: the one place they are written.

``tools/install.sh`` installs ``TESTED``; ``setup.py`` derives the ``mim`` extra from it; each host's
glue (``mmebv.cls``, ``mmebv.det``, ``mmebv.seg``, ``mmebv.engine``) calls :func:`check_supported`
for the packages it uses; a test keeps the README's matrix equal to ``TESTED``.

Pure Python: importing this imports no OpenMMLab package and no torch.
"""
import importlib.metadata as metadata
import warnings
from typing import Dict, Optional, Tuple

# distribution name -> the version the test suite runs against
TESTED: Dict[str, str] = {
    'torch': '2.13.0',
    'torchvision': '0.28.0',
    'mmengine': '0.10.7',
    'mmcv': '2.1.0',
    'mmdet': '3.3.0',
    'mmsegmentation': '1.2.2',
    'mmpretrain': '1.2.0',
}

# distribution name -> (lowest supported, first unsupported); None leaves that end open.
SUPPORTED: Dict[str, Tuple[Optional[str], Optional[str]]] = {
    'torch': ('2.5.0', None),  # safe loading of mmengine checkpoints needs torch.serialization.safe_globals
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.0.0rc4', '2.2.0'),  # mmdet 3.3.0 and mmseg 1.2.2 assert mmcv < 2.2.0
    'mmdet': ('3.0.0', '3.4.0'),
    'mmsegmentation': ('1.0.0', '1.3.0'),
    'mmpretrain': ('1.0.0', '1.3.0'),
}

INSTALL_HINT = 'run `bash tools/install.sh` for the tested stack'


def installed_version(name: str) -> Optional[str]:
    """The installed version of distribution ``name`` without a local tag ('2.13.0+cpu' -> '2.13.0'),
    or None."""
    try:
        return metadata.version(name).split('+')[0]
    except metadata.PackageNotFoundError:
        return None


def check_supported(*names: str, hard: Tuple[str, ...] = ()) -> None:
    """Warn (or, for ``hard`` names, raise ``ImportError``) when an installed package is outside its
    supported range. Versions inside the range but not the tested one pass silently.

    Args:
        *names (str): distribution names from ``SUPPORTED``.
        hard (tuple[str]): names whose range is a hard requirement (e.g. mmcv for mmdet and mmseg).
    """
    from packaging.version import Version
    for name in names:
        have = installed_version(name)
        if have is None:
            continue
        low, high = SUPPORTED[name]
        if (low is None or Version(low) <= Version(have)) and (high is None or Version(have) < Version(high)):
            continue
        span = ' and '.join(part for part in (low and f'>= {low}', high and f'< {high}') if part)
        message = (f'{name} {have} is installed, but mmebv supports {name} {span} (tested: '
                   f'{TESTED.get(name, "-")}); {INSTALL_HINT}')
        if name in hard:
            raise ImportError(message + (' (or `mim install "mmcv>=2.0.0rc4,<2.2.0"` on a GPU machine)'
                                         if name == 'mmcv' else ''))
        warnings.warn(message, stacklevel=3)
