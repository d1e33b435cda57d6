import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    """Each test starts in mmpretrain's scope, whatever scope the previous test switched to."""
    init_default_scope('mmpretrain')
