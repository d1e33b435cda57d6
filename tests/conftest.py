import os

import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    """Each test starts in mmpretrain's scope, whatever scope the previous test switched to."""
    init_default_scope('mmpretrain')


@pytest.fixture(autouse=True, scope='session')
def basis_cache_dir(tmp_path_factory):
    """Generated bases are cached in a directory of this test session (inherited by the tools it
    runs), never in the user's ``~/.cache``."""
    os.environ['MMEBV_CACHE_DIR'] = str(tmp_path_factory.mktemp('basis_cache'))
