"""mmebv: fixed and geometric classifiers (Equiangular Basis Vectors and relatives) for OpenMMLab.

Importing ``mmebv`` registers nothing and imports no OpenMMLab package; it only warns when the
installed stack is outside the tested one. Registration is by import, from the configs'
``custom_imports``:

- ``mmebv.models``: ``EBVClsHead``, ``GrassmannClsHead``, ``LargestMarginClsHead``,
  ``DMLCRCClsHead``, ``LMSoftmaxLoss`` and ``SmallConvNet`` into mmpretrain's ``MODELS``;
- ``mmebv.models.det``: ``EBVLinear`` and ``EBVFCNMaskHead`` into mmdet's ``MODELS`` (needs
  ``mmcv.ops``);
- ``mmebv.models.seg``: ``EBVUPerHead``, ``EBVFCNHead`` and ``EBVFPNHead`` into mmseg's ``MODELS``
  (needs ``mmcv.ops``);
- ``mmebv.datasets``: ``LocalFashionMNIST`` into mmpretrain's ``DATASETS``;
- ``mmebv.engine``: ``ProgressBarHook`` and ``EpochSeedHook`` into mmengine's ``HOOKS``,
  ``RiemannianSGD`` into its ``OPTIMIZERS``, and safe loading of mmengine checkpoints.

``mmebv.ebv`` (basis generation, coherence, basis files), ``mmebv.grassmann`` and
``mmebv.analysis`` are pure torch.
"""
import importlib.metadata as _metadata
import warnings

from .version import __version__, version_info

# Exactly what the test suite runs against; tools/install.sh installs it.
TESTED = {
    'torch': '2.13.0',
    'mmengine': '0.10.7',
    'mmcv': '2.1.0',
    'mmdet': '3.3.0',
    'mmsegmentation': '1.2.2',
    'mmpretrain': '1.2.0',
}
# mmdet 3.3.0 and mmseg 1.2.2 assert mmcv < 2.2.0.
MMCV_MIN, MMCV_MAX = '2.0.0rc4', '2.2.0'


def _check_stack() -> None:
    found, off = {}, []
    for name, tested in TESTED.items():
        try:
            found[name] = _metadata.version(name).split('+')[0]
        except _metadata.PackageNotFoundError:
            continue
        if found[name] != tested:
            off.append(f'{name} {found[name]} (tested: {tested})')
    if 'mmcv' in found:
        from packaging.version import Version
        if not Version(MMCV_MIN) <= Version(found['mmcv']) < Version(MMCV_MAX):
            raise ImportError(f'mmcv {found["mmcv"]} is installed, but mmdet 3.3.0 and mmsegmentation '
                              f'1.2.2 need {MMCV_MIN} <= mmcv < {MMCV_MAX}: run `bash tools/install.sh` '
                              f'(or `mim install mmcv=={TESTED["mmcv"]}` on a GPU machine)')
    if off:
        warnings.warn('mmebv was tested with ' + ', '.join(f'{k}=={v}' for k, v in TESTED.items()) +
                      '; found ' + ', '.join(off) + '. Run `bash tools/install.sh` for the tested stack.',
                      stacklevel=2)


_check_stack()

__all__ = ['__version__', 'version_info', 'TESTED']
