"""Every setting is checked where it is built: a refusal names the argument, the value and the valid
range, instead of a run that trains to nothing (a negative LM-Softmax scale, GCR at scale 0) or a raw
TypeError / ZeroDivisionError / "network diverged" later."""
import pytest
from mmpretrain.registry import MODELS

import mmebv.cls  # noqa: F401


def head(classifier=None, num_classes=10, loss=None, **kwargs):
    cfg = dict(type='GeometricClsHead', num_classes=num_classes, in_channels=16, classifier=classifier, **kwargs)
    if loss is not None:
        cfg['loss'] = loss
    return MODELS.build(cfg)


@pytest.mark.parametrize('classifier, message', [
    (dict(type='LargestMargin', scale=-64), r'scale=-64 must be a finite number > 0'),
    (dict(type='LargestMargin', sample_margin_weight=-1.0), r'sample_margin_weight=-1.0 must be a finite number >= 0'),
    (dict(type='Grassmann', scale=0), r'scale=0 must be a finite number > 0'),
    (dict(type='Grassmann', subspace_dim=True), r'subspace_dim=True must be an integer >= 1'),
    (dict(type='Grassmann', subspace_dim=40), r'subspace_dim=40 must be at most in_features=16'),
    (dict(type='Fixed', embed_dim=0), r'embed_dim=0 must be an integer >= 1'),
    (dict(type='Fixed', embed_dim='128'), r"embed_dim='128' must be an integer >= 1"),
    (dict(type='Fixed', temperature=float('nan')), r'temperature=nan must be a finite number > 0'),
    (dict(type='Fixed', temperature='0.07'), r"temperature='0.07' must be a finite number > 0"),
    (dict(type='DMLCRC', ridge=0), r'ridge=0 must be a finite number > 0'),
    (dict(type='DMLCRC', atoms_per_class=2.5), r'atoms_per_class=2.5 must be an integer >= 1'),
    (dict(type='DMLCRC', metric_dim=64), r'metric_dim=64 must be at most in_features=16'),
])
def test_a_layer_setting_out_of_range_is_named(classifier, message):
    with pytest.raises(ValueError, match=message):
        head(classifier)


def test_head_settings_are_named():
    with pytest.raises(ValueError, match=r'num_classes=True must be an integer >= 1'):
        head(dict(type='Fixed'), num_classes=True)  # a bool is not a class count (True would be one class)
    with pytest.raises(TypeError, match=r'needs classifier=dict\(type=\.\.\.\)'):
        head(None)
    with pytest.raises(KeyError, match=r"unknown classifier type 'Grassman'"):
        head(dict(type='Grassman'))
    with pytest.raises(TypeError, match=r'the host sets num_classes; leave it out'):
        head(dict(type='Grassmann', num_classes=5))
    with pytest.raises(ValueError, match=r"LMSoftmaxLoss: scale=0 must be a finite number > 0"):
        head(dict(type='LargestMargin'), loss=dict(type='LMSoftmaxLoss', scale=0))


def test_the_det_and_seg_lm_softmax_losses_check_their_scale():
    from mmebv.det import LMSoftmaxDetLoss
    from mmebv.seg import LMSoftmaxSegLoss
    for loss in (LMSoftmaxDetLoss, LMSoftmaxSegLoss):
        with pytest.raises(ValueError, match=r'scale=-1 must be a finite number > 0'):
            loss(scale=-1)
