import os

import pytest
import torch
from mmengine.registry import init_default_scope

# The device the model and classifier tests run on: MMEBV_TEST_DEVICE=cuda python -m pytest tests
DEVICE_VARIABLE = 'MMEBV_TEST_DEVICE'


def test_device() -> torch.device:
    """The device ``MMEBV_TEST_DEVICE`` names (default: cpu); a name torch does not know, or a device
    this machine lacks, stops the session with the fix named."""
    name = os.environ.get(DEVICE_VARIABLE, 'cpu')
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise pytest.UsageError(f'{DEVICE_VARIABLE}={name!r} is not a torch device ({error}): use cpu, cuda or '
                                f'cuda:N') from None
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise pytest.UsageError(f'{DEVICE_VARIABLE}={name!r} but torch sees no CUDA device (torch '
                                f'{torch.__version__}): unset {DEVICE_VARIABLE} or run on a machine with a GPU')
    if device.type == 'cuda' and (device.index or 0) >= torch.cuda.device_count():
        raise pytest.UsageError(f'{DEVICE_VARIABLE}={name!r} but this machine has {torch.cuda.device_count()} '
                                f'CUDA device(s): use cuda:0 to cuda:{torch.cuda.device_count() - 1}')
    if device.type not in ('cpu', 'cuda'):
        raise pytest.UsageError(f'{DEVICE_VARIABLE}={name!r}: the tests run on cpu or cuda')
    return device


test_device.__test__ = False  # a helper, not a test


def pytest_configure(config):
    test_device()  # a wrong MMEBV_TEST_DEVICE stops the session before any test runs


def pytest_report_header(config):
    return f'mmebv test device: {test_device()} ({DEVICE_VARIABLE})'


@pytest.fixture(scope='session')
def device() -> torch.device:
    """The device the model tests move their modules and inputs to (``MMEBV_TEST_DEVICE``, default cpu)."""
    return test_device()


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    """Each test starts in mmpretrain's scope, whatever scope the previous test switched to."""
    init_default_scope('mmpretrain')


@pytest.fixture(autouse=True, scope='session')
def basis_cache_dir(tmp_path_factory):
    """Generated bases are cached in a directory of this test session (inherited by the tools it
    runs), never in the user's ``~/.cache``."""
    os.environ['MMEBV_CACHE_DIR'] = str(tmp_path_factory.mktemp('basis_cache'))
