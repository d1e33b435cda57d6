"""DenseClassifierMixin: a classifier layer where a host keeps a 1x1-conv classifier."""
import pytest


def test_mixin_refuses_a_classifier_that_is_not_a_1x1_conv():
    import torch.nn as nn

    from mmebv.classifiers import DenseClassifierMixin

    class Host(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_seg = nn.Conv2d(4, 3, 3)

    class EBVHost(DenseClassifierMixin, Host):
        classifier_name = 'conv_seg'
        default_classifier = dict(type='Fixed')

    with pytest.raises(TypeError, match='1x1 Conv2d'):
        EBVHost()
