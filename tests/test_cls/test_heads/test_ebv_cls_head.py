import pytest
import torch
import torch.nn.functional as F
from helpers import samples
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmebv.cls  # noqa: F401
from mmebv.classifiers import FixedClassifier
from mmebv.ebv import generate_ebv, save_basis


def build_head(num_classes=5, in_channels=12, loss=None, init_cfg=None, **classifier):
    cfg = dict(type='EBVClsHead', num_classes=num_classes, in_channels=in_channels,
               classifier=dict(dict(embed_dim=16), **classifier))
    cfg.update({k: v for k, v in dict(loss=loss, init_cfg=init_cfg).items() if v is not None})
    return MODELS.build(cfg)


def test_logits_are_cosines_over_temperature():
    head = build_head(temperature=0.1)
    feats = (torch.randn(4, 12), )
    logits = head(feats)
    assert logits.shape == (4, 5)
    embed = head.classifier.embed(feats[-1])
    assert torch.allclose(embed.norm(dim=1), torch.ones(4), atol=1e-6)
    assert torch.allclose(logits, embed @ head.classifier.basis.T / 0.1, atol=1e-5)
    assert logits.abs().max() <= 1 / 0.1 + 1e-4


def test_default_embed_dim_is_at_least_128():
    assert build_head(embed_dim=None).classifier.embed_dim == 128
    assert FixedClassifier(8, 300).embed_dim == 300


def test_loss_is_cross_entropy_on_the_logits():
    head = build_head()
    feats = (torch.randn(6, 12), )
    labels = [0, 1, 2, 3, 4, 0]
    losses = head.loss(feats, samples(labels))
    expected = F.cross_entropy(head(feats), torch.tensor(labels))
    assert set(losses) == {'loss'} and torch.allclose(losses['loss'], expected)


def test_soft_targets_from_mixup_and_label_smoothing():
    head = build_head()
    feats = (torch.randn(4, 12), )
    scores = torch.softmax(torch.randn(4, 5), dim=1)
    data = [DataSample().set_gt_score(s) for s in scores]
    loss = head.loss(feats, data)['loss']
    expected = -(scores * F.log_softmax(head(feats), dim=1)).sum(1).mean()
    assert torch.allclose(loss, expected, atol=1e-6)

    smooth = build_head(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'))
    loss = smooth.loss(feats, samples([0, 1, 2, 3]))['loss']
    target = F.one_hot(torch.tensor([0, 1, 2, 3]), 5) * 0.9 + 0.1 / 5
    expected = -(target * F.log_softmax(smooth(feats), dim=1)).sum(1).mean()
    assert torch.allclose(loss, expected, atol=1e-5)


def test_predict_returns_nearest_basis_vector():
    head = build_head(with_projection=False, in_channels=16)
    feats = (head.classifier.basis[[3, 1]] * 5 + 0.01 * torch.randn(2, 16), )
    predictions = head.predict(feats)
    assert [p.pred_label.item() for p in predictions] == [3, 1]
    assert all(isinstance(p, DataSample) and p.pred_score.shape == (5, ) for p in predictions)


def test_basis_untouched_by_init_weights_and_optimizer():
    head = build_head(init_cfg=[dict(type='Constant', layer=['Linear', 'FixedClassifier'], val=0.5),
                                dict(type='Normal', layer='Linear', std=0.01)])
    before = head.classifier.basis.clone()
    head.init_weights()
    assert torch.equal(head.classifier.basis, before)
    assert all(p is not head.classifier.basis for p in head.parameters())
    optimizer = torch.optim.SGD(head.parameters(), lr=1.0, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        head.loss((torch.randn(8, 12), ), samples([0, 1, 2, 3, 4, 0, 1, 2]))['loss'].backward()
        optimizer.step()
    assert torch.equal(head.classifier.basis, before)


def test_checkpoint_round_trip_restores_the_basis(tmp_path):
    head = build_head(basis=dict(seed=1))
    path = tmp_path / 'head.pth'
    torch.save(head.state_dict(), path)
    with pytest.raises(ValueError, match='is not the one this config builds'):
        build_head(basis=dict(seed=2)).load_state_dict(torch.load(path, weights_only=True))
    other = build_head(basis=dict(seed=2), adopt_checkpoint_basis=True)
    assert not torch.equal(other.classifier.basis, head.classifier.basis)
    other.load_state_dict(torch.load(path, weights_only=True))
    assert torch.equal(other.classifier.basis, head.classifier.basis)
    feats = (torch.randn(3, 12), )
    assert torch.equal(other(feats), head(feats))


def test_basis_from_a_file(tmp_path):
    path = str(tmp_path / 'ebv.pth')
    basis = generate_ebv(5, 16, seed=9)
    save_basis(path, basis, seed=9)
    head = build_head(basis=dict(type='EBV', file=path))
    assert torch.equal(head.classifier.basis, basis)
    with pytest.raises(ValueError, match='num_classes=5, but 6'):
        build_head(basis=dict(file=path), num_classes=6)


def test_bad_input_is_named():
    head = build_head()
    with pytest.raises(ValueError, match='set in_channels to 10'):
        head((torch.randn(2, 10), ))
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 4\]'):
        head.loss((torch.randn(2, 12), ), samples([0, 7]))
    with pytest.raises(ValueError, match='with_projection=False needs in_features == embed_dim'):
        build_head(with_projection=False)
    with pytest.raises(ValueError, match='temperature'):
        build_head(temperature=0)
