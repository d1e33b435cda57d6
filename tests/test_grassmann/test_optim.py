"""Riemannian SGD, AdamW and Lamb: the host's rule for ordinary parameters, the Riemannian step for
Grassmann ones, the bases kept orthonormal, and exact resume through mmengine's optim wrapper."""
import copy

import pytest
import torch
import torch.nn as nn
from helpers import grassmann_head, ortho_error, reference_geodesic, samples, toy_problem
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


def reference_rsgd(S, grads, lr, momentum, reorth, dampening=0.0):
    """Riemannian SGD written on column bases (.., d, k): tangent projection, momentum kept in the
    tangent space by projection, geodesic step, QR every ``reorth`` steps (and torch SGD's dampening)."""
    buffer = None
    for step, G in enumerate(grads, 1):
        D = G - S @ (S.transpose(-2, -1) @ G)
        buffer = D.clone() if buffer is None else buffer.mul_(momentum).add_(D, alpha=1 - dampening)
        S = reference_geodesic(S, -lr * buffer)
        if step % reorth == 0:
            Q, R = torch.linalg.qr(S)
            S = Q * torch.sign(torch.diagonal(R, dim1=-2, dim2=-1)).unsqueeze(-2)
        buffer = buffer - S @ (S.transpose(-2, -1) @ buffer)
    return S


@pytest.mark.parametrize('dampening', [0.0, 0.3])
def test_riemannian_sgd_steps_equal_the_column_layout_steps(dampening):
    head = grassmann_head(num_classes=7, in_channels=24, subspace_dim=5).double()
    start = head.subspaces.detach().clone()
    grads = [torch.randn(7, 5, 24, dtype=torch.float64) for _ in range(12)]
    optimizer = RiemannianSGD(head.parameters(), lr=0.1, momentum=0.9, dampening=dampening,
                              reorthonormalize_every=5)
    for G in grads:
        head.subspaces.grad = G.clone()
        optimizer.step()
    expected = reference_rsgd(start.transpose(-2, -1), [G.transpose(-2, -1) for G in grads], 0.1, 0.9, 5,
                              dampening)
    assert torch.allclose(head.subspaces.detach(), expected.transpose(-2, -1), atol=1e-6)


@pytest.mark.e2e  # a thousand optimizer steps: tens of seconds on 2 cores
def test_1000_steps_keep_k8_bases_orthonormal_and_learn():
    head = grassmann_head(num_classes=10, in_channels=32, subspace_dim=8)
    optimizer = RiemannianSGD(head.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    assert [g['grassmann'] for g in optimizer.param_groups] == [True]
    assert optimizer.param_groups[0]['weight_decay'] == 0
    x = torch.randn(100, 32)
    labels = torch.randint(0, 10, (100, ))
    first = None
    for _ in range(1000):
        optimizer.zero_grad()
        loss = head.loss((x, ), samples(labels))['loss']
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    assert ortho_error(head.subspaces.detach()) < 1e-5
    assert loss.item() < 0.5 * first
