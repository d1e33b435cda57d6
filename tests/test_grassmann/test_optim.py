"""Riemannian SGD, AdamW and Lamb: the host's rule for ordinary parameters, the Riemannian step for
Grassmann ones, the bases kept orthonormal, and exact resume through mmengine's optim wrapper."""
import copy

import pytest
import torch
import torch.nn as nn
from helpers import ortho_error, samples, toy_problem
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.engine.optimizers import Lamb
from mmpretrain.registry import MODELS

import mmebv.cls  # noqa: F401  (RiemannianLamb)
import mmebv.engine  # noqa: F401  (RiemannianSGD, RiemannianAdamW)
from mmebv.grassmann import RiemannianAdamW, RiemannianSGD
from mmebv.cls import RiemannianLamb

CONFIGS = {
    'RiemannianSGD': dict(type='RiemannianSGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    # the GCR authors' transformer settings: subspace lr = lr x factor, QR every step
    'RiemannianAdamW': dict(type='RiemannianAdamW', lr=1e-3, weight_decay=0.05, grassmann_lr_factor=100.0,
                            reorthonormalize_every=1),
    'RiemannianLamb': dict(type='RiemannianLamb', lr=4e-3, weight_decay=0.05, grassmann_lr_factor=75.0,
                           reorthonormalize_every=1),
}


class Net(nn.Module):
    """A linear layer (ordinary parameters) under a GCR head (Grassmann parameters)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Linear(16, 16)
        self.head = MODELS.build(dict(type='GeometricClsHead', num_classes=4, in_channels=16,
                                      classifier=dict(type='Grassmann', subspace_dim=3)))

    def loss(self, x, labels):
        return self.head.loss((self.features(x), ), samples(labels))['loss']


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('mmpretrain')  # RiemannianLamb lives in mmpretrain's OPTIMIZERS


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_steps_keep_the_bases_orthonormal_and_learn(name):
    net = Net()
    wrapper = build_optim_wrapper(net, dict(optimizer=CONFIGS[name]))
    assert [g['grassmann'] for g in wrapper.optimizer.param_groups] == [False, True]
    assert wrapper.optimizer.param_groups[1]['weight_decay'] == 0
    x, labels = toy_problem()
    first = net.loss(x, labels).item()
    for _ in range(300):
        wrapper.update_params(net.loss(x, labels))
    assert ortho_error(net.head.classifier.subspaces.detach()) < 1e-5
    assert net.loss(x, labels).item() < 0.5 * first


@pytest.mark.parametrize('ours,host,kwargs', [
    (RiemannianSGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
    (RiemannianAdamW, torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05)),
    (RiemannianLamb, Lamb, dict(lr=1e-2, weight_decay=0.05)),
], ids=['SGD', 'AdamW', 'Lamb'])
def test_ordinary_parameters_get_the_host_rule(ours, host, kwargs):
    torch.manual_seed(0)
    a, b = nn.Linear(6, 3), nn.Linear(6, 3)
    b.load_state_dict(a.state_dict())
    optimizers = ((a, ours(a.parameters(), **kwargs)), (b, host(b.parameters(), **kwargs)))
    x = torch.randn(8, 6)
    for _ in range(5):
        for model, optimizer in optimizers:
            optimizer.zero_grad()
            model(x).pow(2).sum().backward()
            optimizer.step()
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize('ours', [RiemannianAdamW, RiemannianLamb])
def test_grassmann_step_is_momentum_sgd_at_lr_times_factor(ours):
    nets = Net(), Net()
    adaptive = ours(nets[0].parameters(), lr=1e-3, grassmann_lr_factor=50.0, reorthonormalize_every=2)
    sgd = RiemannianSGD(nets[1].head.parameters(), lr=0.05, momentum=0.9, reorthonormalize_every=2)
    x, labels = toy_problem()
    for _ in range(4):
        for net, optimizer in zip(nets, (adaptive, sgd)):
            optimizer.zero_grad()
            net.loss(x, labels).backward()
            optimizer.step()
        nets[1].features.load_state_dict(nets[0].features.state_dict())  # same features, same head gradients
    assert torch.allclose(nets[0].head.classifier.subspaces, nets[1].head.classifier.subspaces, atol=1e-6)


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_resume_restores_every_state_exactly(name):
    cfg = dict(optimizer=CONFIGS[name], clip_grad=dict(max_norm=1.0))
    x, labels = toy_problem()
    net = Net()
    wrapper = build_optim_wrapper(net, cfg)
    for _ in range(5):
        wrapper.update_params(net.loss(x, labels))
    saved_model, saved_optim = copy.deepcopy(net.state_dict()), copy.deepcopy(wrapper.state_dict())
    for _ in range(3):
        wrapper.update_params(net.loss(x, labels))

    resumed = Net()
    resumed.load_state_dict(saved_model)
    resumed_wrapper = build_optim_wrapper(resumed, cfg)
    resumed_wrapper.load_state_dict(saved_optim)
    for _ in range(3):
        resumed_wrapper.update_params(resumed.loss(x, labels))
    assert all(torch.equal(p, q) for p, q in zip(resumed.parameters(), net.parameters()))
