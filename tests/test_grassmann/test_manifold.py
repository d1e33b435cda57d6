"""GCR: Grassmann math, the subspace head and Riemannian SGD."""
import copy

import pytest
import torch
import torch.nn.functional as F
from helpers import ortho_error, samples, toy_problem
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS

import mmebv.cls  # noqa: F401
import mmebv.engine  # noqa: F401
from mmebv.engine import RiemannianSGD
from mmebv.grassmann import project_tangent, projection_norms, random_subspaces, retract, subspace_angles


@pytest.mark.parametrize('method', ['geodesic', 'qr', 'polar'])
def test_retractions_stay_on_the_manifold_and_move_by_the_tangent(method):
    S = random_subspaces(5, 20, 8, seed=1)
    H = project_tangent(S, 0.05 * torch.randn(5, 8, 20))
    assert (H @ S.transpose(-2, -1)).abs().max() < 1e-5  # tangent: H Wᵀ = 0
    T = retract(S, H, method)
    assert ortho_error(T) < 1e-5
    distance = subspace_angles(S, T).pow(2).sum(-1).sqrt()
    expected = torch.linalg.svdvals(H).pow(2).sum(-1).sqrt()
    rtol = 1e-3 if method == 'geodesic' else 5e-2  # the geodesic is exact, retractions first order
    assert torch.allclose(distance, expected, rtol=rtol, atol=1e-4)


def reference_geodesic(S, H):
    """Edelman, Arias & Smith's geodesic for column bases S (.., d, k), tangent H: S V cos(Σ) Vᵀ + U sin(Σ) Vᵀ
    with the thin SVD H = U Σ Vᵀ (written independently of mmebv's row-layout k x k form)."""
    U, sigma, Vh = torch.linalg.svd(H, full_matrices=False)
    V = Vh.transpose(-2, -1)
    return (S @ V * torch.cos(sigma).unsqueeze(-2) + U * torch.sin(sigma).unsqueeze(-2)) @ Vh


def test_geodesic_step_equals_the_svd_form():
    W = random_subspaces(6, 30, 8, seed=2).double()
    H = project_tangent(W, 0.3 * torch.randn(6, 8, 30, dtype=torch.float64))
    expected = reference_geodesic(W.transpose(-2, -1), H.transpose(-2, -1)).transpose(-2, -1)
    assert torch.allclose(retract(W, H), expected, atol=1e-10)


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
    head = build_head(num_classes=7, in_channels=24, subspace_dim=5).double()
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


def build_head(num_classes=4, in_channels=16, **classifier):
    classifier = dict(dict(type='Grassmann', subspace_dim=3), **classifier)
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=num_classes, in_channels=in_channels,
                             classifier=classifier))
    head.subspaces = head.classifier.subspaces  # the one parameter, under a short name
    return head


def norms_one_class_at_a_time(x, subspaces):
    return torch.stack([(x @ basis.T).norm(dim=1) for basis in subspaces], dim=1)


def test_logit_is_scaled_norm_of_the_projection():
    head = build_head(scale=10.0)
    x = torch.randn(5, 16)
    logits = head((x, ))
    S = head.subspaces.detach().clone()
    expected = 10 * norms_one_class_at_a_time(F.normalize(x, dim=1), S)
    assert torch.allclose(logits, expected, atol=1e-5)
    assert logits.max() <= 10 + 1e-4 and logits.min() >= 0
    assert ortho_error(head.subspaces.detach()) < 1e-5
    head.init_weights()
    assert torch.equal(head.subspaces.detach(), S)


def test_projection_norms_have_the_norms_gradient_and_no_nan_at_zero():
    x = torch.randn(5, 16, dtype=torch.float64, requires_grad=True)
    subspaces = random_subspaces(4, 16, 3, seed=3).double().requires_grad_(True)
    assert torch.autograd.gradcheck(projection_norms, (x, subspaces))
    torch.testing.assert_close(projection_norms(x, subspaces), norms_one_class_at_a_time(x, subspaces))
    zero = torch.zeros(2, 16, requires_grad=True)  # an all-zero feature (dead ReLUs)
    projection_norms(zero, subspaces.detach().float()).sum().backward()
    assert torch.equal(zero.grad, torch.zeros_like(zero))


@pytest.mark.e2e  # a thousand optimizer steps: tens of seconds on 2 cores
def test_1000_steps_keep_k8_bases_orthonormal_and_learn():
    head = build_head(num_classes=10, in_channels=32, subspace_dim=8)
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


def test_ordinary_parameters_get_torch_sgd():
    torch.manual_seed(0)
    a, b = torch.nn.Linear(6, 3), torch.nn.Linear(6, 3)
    b.load_state_dict(a.state_dict())
    ours = RiemannianSGD(a.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    reference = torch.optim.SGD(b.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)
    x = torch.randn(8, 6)
    for _ in range(5):
        for model, opt in ((a, ours), (b, reference)):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(a.parameters(), b.parameters()))


def train_steps(model, optim_wrapper, data, steps):
    x, labels = data
    for _ in range(steps):
        optim_wrapper.update_params(model.loss((x, ), samples(labels))['loss'])


def test_resume_restores_the_optimizer_state_exactly():
    cfg = dict(optimizer=dict(type='RiemannianSGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
               clip_grad=dict(max_norm=1.0))
    data = toy_problem()
    head = build_head()
    wrapper = build_optim_wrapper(head, cfg)
    train_steps(head, wrapper, data, 5)
    saved_model, saved_optim = copy.deepcopy(head.state_dict()), copy.deepcopy(wrapper.state_dict())
    train_steps(head, wrapper, data, 3)

    resumed = build_head()
    resumed.load_state_dict(saved_model)
    resumed_wrapper = build_optim_wrapper(resumed, cfg)
    resumed_wrapper.load_state_dict(saved_optim)
    state = resumed_wrapper.optimizer.state[resumed.subspaces]['momentum_buffer']
    assert torch.equal(state, saved_optim['state'][0]['momentum_buffer'])
    train_steps(resumed, resumed_wrapper, data, 3)
    assert torch.equal(resumed.subspaces, head.subspaces)


def test_subspaces_trained_off_the_manifold_are_refused():
    head = build_head()
    optimizer = torch.optim.SGD(head.parameters(), lr=5.0)
    x, labels = toy_problem()
    with pytest.raises(RuntimeError, match='RiemannianSGD'):  # measured every 10 loss computations
        for _ in range(25):
            optimizer.zero_grad()
            head.loss((x, ), samples(labels))['loss'].backward()
            optimizer.step()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='subspace_dim=40 must be at most in_features=16'):
        build_head(subspace_dim=40)
    with pytest.raises(ValueError, match=r'scale=0 must be a finite number > 0'):
        build_head(scale=0)
    with pytest.raises(ValueError, match='retraction'):
        RiemannianSGD(build_head().parameters(), lr=0.1, retraction='cayley')
    with pytest.raises(ValueError, match='set in_channels to 8'):
        build_head()((torch.randn(2, 8), ))
