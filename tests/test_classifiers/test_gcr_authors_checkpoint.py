"""The GCR authors' released checkpoints load into the Grassmann classifier as they are, with their logits.

Their head (innerlee/gcr, gcr/grassmann_head.py) keeps the class subspaces as one bias-free
Linear weight ``head.fc.weight`` (N k, C), class i's orthonormal basis in rows i k .. (i + 1) k - 1,
and computes gamma * ||fc(x̂) reshaped (B, N, k)|| with gamma = 25; their ImageNet configs are
mmpretrain ImageClassifiers with a ResNetV1d backbone. The checkpoint is built here in that layout.
"""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmebv.grassmann import orthonormality_error
from helpers import ROOT, randomize_
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.structures import DataSample

N, K, C = 10, 8, 2048
CONFIG = 'configs/gcr/resnetv1d50_gcr_8xb32-coslr-100e_in1k.py'


def build_model():
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    cfg.merge_from_dict({'model.head.num_classes': N})
    init_default_scope('mmpretrain')
    return MODELS.build(cfg.model).eval()


def authors_head_weight(seed: int) -> torch.Tensor:
    """(N k, C): per class, k orthonormal rows (the Q factor of a Gaussian C x k matrix), stacked."""
    columns = torch.randn(N, C, K, generator=torch.Generator().manual_seed(seed))
    return torch.linalg.qr(columns).Q.transpose(1, 2).reshape(N * K, C).contiguous()


def authors_logits(features: torch.Tensor, weight: torch.Tensor, gamma: float = 25.0) -> torch.Tensor:
    return (gamma * F.linear(F.normalize(features, dim=-1), weight)).reshape(-1, N, K).norm(dim=-1)


@pytest.fixture(scope='module')
def authors_checkpoint(tmp_path_factory):
    """A checkpoint of their ResNet50-D GCR model as mmengine saves it: backbone.* and head.fc.weight."""
    source = randomize_(build_model(), seed=3)
    state = {k: v for k, v in source.state_dict().items() if k.startswith('backbone.')}
    state['head.fc.weight'] = authors_head_weight(seed=4)
    path = str(tmp_path_factory.mktemp('gcr') / 'resnet50d_gcr8.pth')
    torch.save(dict(meta=dict(epoch=100), state_dict=state), path)
    return path, state


def test_authors_checkpoint_loads_with_their_logits(authors_checkpoint):
    path, state = authors_checkpoint
    model = build_model()
    load_checkpoint(model, path, map_location='cpu', strict=True)  # no missing or unexpected key
    assert torch.equal(model.head.classifier.subspaces.flatten(0, 1), state['head.fc.weight'])
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        features = model.extract_feat(x)[-1]
        expected = authors_logits(features, state['head.fc.weight'])
        logits = model(x, mode='tensor')
    assert (logits - expected).abs().max() < 1e-5
    assert orthonormality_error(model.head.classifier.subspaces.detach()) < 1e-5


def test_weights_off_the_manifold_keep_their_logits_and_are_refused_in_training(authors_checkpoint, tmp_path):
    path, state = authors_checkpoint
    weight = state['head.fc.weight'] * 1.1  # e.g. saved before the first orthonormalising step
    off = str(tmp_path / 'off.pth')
    torch.save(dict(state_dict={**state, 'head.fc.weight': weight}), off)
    model = build_model()
    with pytest.warns(UserWarning, match='from orthonormal'):
        load_checkpoint(model, off, map_location='cpu', strict=True)
    features = torch.randn(4, C)
    with torch.no_grad():
        assert (model.head((features, )) - authors_logits(features, weight)).abs().max() < 1e-5
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    with pytest.raises(RuntimeError, match='left the Grassmannian'):
        model.train().head.loss((features, ), samples)


def test_a_head_weight_of_other_sizes_names_the_fix(authors_checkpoint, tmp_path):
    path, state = authors_checkpoint
    other = str(tmp_path / 'k4.pth')
    torch.save(dict(state_dict={**state, 'head.fc.weight': state['head.fc.weight'][:N * 4]}), other)
    with pytest.raises(RuntimeError, match=r'subspace_dim=4 would fit'):
        load_checkpoint(build_model(), other, map_location='cpu', strict=True)
