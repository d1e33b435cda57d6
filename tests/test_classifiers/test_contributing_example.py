"""The classifier layer that CONTRIBUTING.md shows as the example of a new method works as shown:
registered by the decorator, built by every host's adapter from classifier=dict(type='Cosine')."""
import os.path as osp
import re
import textwrap

import pytest
import torch
from helpers import ROOT, samples
from mmengine.registry import init_default_scope

from mmebv.classifiers import CLASSIFIERS


@pytest.fixture
def cosine_layer():
    with open(osp.join(ROOT, 'CONTRIBUTING.md'), encoding='utf-8') as f:
        text = f.read()
    code = next(block for block in re.findall(r'```python\n(.*?)```', text, re.S) if 'register_classifier' in block)
    namespace = {}
    exec(compile(textwrap.dedent(code), 'CONTRIBUTING.md', 'exec'), namespace)  # a list item's block: indented
    try:
        yield CLASSIFIERS['Cosine']
    finally:
        CLASSIFIERS.pop('Cosine', None)


def test_the_example_layer_trains_in_the_classification_head(cosine_layer):
    from mmpretrain.registry import MODELS

    import mmebv.cls  # noqa: F401
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=4, in_channels=8,
                             classifier=dict(type='Cosine', scale=16.0)))
    assert type(head.classifier) is cosine_layer
    loss = head.loss((torch.randn(6, 8), ), samples(torch.arange(6) % 4))['loss']
    loss.backward()
    assert head.classifier.weight.grad.abs().sum() > 0
    assert head.class_representation().shape == (4, 8)


def test_the_example_layer_stands_in_a_decode_head(cosine_layer):
    from mmseg.registry import MODELS

    import mmebv.seg  # noqa: F401
    init_default_scope('mmseg')
    head = MODELS.build(dict(type='GeometricFCNHead', in_channels=8, in_index=0, channels=8, num_convs=1,
                             num_classes=3, classifier=dict(type='Cosine')))
    assert head([torch.randn(2, 8, 5, 5)]).shape == (2, 3, 5, 5)
