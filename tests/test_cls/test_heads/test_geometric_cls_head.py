"""The contract mmpretrain's head keeps around every registered classifier layer, one parametrised
test per layer (and, for the fixed classifier, per registered basis). The lists come from the
registries. Heads and inputs live on the ``device`` fixture (``MMEBV_TEST_DEVICE``, tests/conftest.py)."""
import io
from contextlib import contextmanager

import pytest
import torch
from helpers import samples as hard_labels
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmebv.cls  # noqa: F401
from mmebv.classifiers import BASES, CLASSIFIERS
from mmebv.classifiers.checks import DEVICE_INTERVAL

N, C, B = 5, 16, 6
CASES = [(name, None) for name in sorted(CLASSIFIERS) if name != 'Fixed']
CASES += [('Fixed', basis) for basis in sorted(BASES)]


def build(name, basis, device, **kwargs):
    """The head, built as mmengine's runner builds a model (here) and moved to ``device``."""
    classifier = dict(type=name) if basis is None else dict(type=name, basis=dict(type=basis))
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=N, in_channels=C, classifier=classifier, **kwargs))
    return head.to(device)


def labelled(labels, device):
    """DataSamples with hard ``labels`` on ``device``, as mmengine's data preprocessor hands them over."""
    return [sample.to(device) for sample in hard_labels(labels)]


def updates_until_read(device) -> int:
    """Updates of a deferred check until it is read: at once on the CPU, every DEVICE_INTERVAL elsewhere."""
    return 1 if device.type == 'cpu' else DEVICE_INTERVAL


@pytest.fixture(params=CASES, ids=lambda case: case[0] + (f'-{case[1]}' if case[1] else ''))
def case(request):
    return request.param


def test_the_registries_hold_every_method():
    assert {'Fixed', 'Grassmann', 'LargestMargin', 'DMLCRC'} <= set(CLASSIFIERS)
    assert {'EBV', 'SimplexETF', 'Hadamard', 'MaxSeparation'} <= set(BASES)
    assert {'GeometricClsHead', 'EBVClsHead'} <= set(MODELS.module_dict)


def test_shapes_loss_and_predict(case, device):
    head = build(*case, device)
    head.init_weights()
    x = torch.randn(B, C, device=device)
    assert head((x, )).shape == (B, N)
    losses = head.loss((x, ), labelled(torch.arange(B) % N, device))
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())
    predictions = head.predict((x, ))
    assert len(predictions) == B and all(p.pred_score.shape == (N, ) for p in predictions)
    representation = head.class_representation()
    assert representation is None or representation.shape[0] == N


def test_bad_inputs_are_named(case, device):
    head = build(*case, device)
    with pytest.raises(ValueError, match='set in_channels to 7'):  # a shape: refused at once everywhere
        head((torch.randn(B, 7, device=device), ))
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 4\] but range over \[0, 9\]'):
        for _ in range(updates_until_read(device)):
            head.loss((torch.randn(B, C, device=device), ), labelled([0, 1, 2, 3, 4, 9], device))
    x = torch.randn(B, C, device=device)
    x[1, 2] = float('nan')
    with pytest.raises(FloatingPointError, match='non-finite'):
        for _ in range(updates_until_read(device)):
            head.loss((x, ), labelled(torch.arange(B) % N, device))


def test_init_leaves_the_fixed_parts_alone(case, device):
    head = build(*case, device, init_cfg=dict(type='Constant', layer=['Linear', 'FixedClassifier'], val=0.5))
    fixed = {k: v.clone() for k, v in head.named_buffers()}
    fixed.update({k: v.detach().clone() for k, v in head.named_parameters() if getattr(v, 'grassmann', False)})
    head.init_weights()
    now = dict(head.named_buffers(), **dict(head.named_parameters()))
    assert all(torch.equal(now[k], v) for k, v in fixed.items())
    # the init ran (on the trainable layers); a fixed tensor named like a weight would have taken it too
    assert all((m.weight == 0.5).all() for m in head.modules() if isinstance(m, torch.nn.Linear))


def test_checkpoint_round_trip(case, device):
    head = build(*case, device)
    with torch.no_grad():
        for p in head.parameters():
            p.add_(0.01 * torch.randn_like(p))
    buffer = io.BytesIO()
    torch.save(head.state_dict(), buffer)
    buffer.seek(0)
    restored = build(*case, device)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    x = (torch.randn(B, C, device=device), )  # logits in eval mode: the perturbed subspaces are off the manifold
    assert torch.equal(restored.eval()(x), head.eval()(x))


def test_soft_targets_follow_the_policy(case, device):
    head = build(*case, device)
    scores = torch.softmax(torch.randn(B, N, device=device), dim=1)
    samples = [DataSample().set_gt_score(s) for s in scores]
    if head.classifier.soft_targets:
        assert all(torch.isfinite(v) for v in head.loss((torch.randn(B, C, device=device), ), samples).values())
    else:
        with pytest.raises(ValueError, match='needs hard labels'):
            head.loss((torch.randn(B, C, device=device), ), samples)


FORBIDDEN = {torch.Tensor.item, torch.Tensor.__bool__, torch.Tensor.tolist, torch.Tensor.__float__,
             torch.Tensor.__int__, torch.Tensor.__index__, torch.Tensor.numpy}


class NoHostReads(torch.Tensor):
    """A tensor that fails when its value is read on the host (what would synchronise a GPU)."""

    allowed = False

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in FORBIDDEN and not cls.allowed:
            raise AssertionError(f'{func.__name__} read a tensor on the host')
        return super().__torch_function__(func, types, args, kwargs or {})


@contextmanager
def no_host_sync(device):
    """On CUDA, any operation in the block that synchronises the host with the device raises (torch's
    sync debug mode): the reads NoHostReads sees in Python and those inside torch (a linalg error
    check, a boolean mask). Nothing on the CPU, where NoHostReads alone stands for a device."""
    if device.type != 'cuda':
        yield
        return
    torch.cuda.set_sync_debug_mode('error')
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode('default')


def test_no_host_read_between_the_periodic_checks(case, device, monkeypatch):
    head = build(*case, device)
    if device.type == 'cpu':  # the CPU reads its checks at once: give them an accelerator's kind of interval
        interval = 4
        for module in head.modules():  # the fixed classifier keeps checks of its own
            if hasattr(module, 'checks'):
                module.checks.interval = interval
    else:
        interval = DEVICE_INTERVAL  # the interval a device gets, as shipped
    labels = torch.arange(B) % N
    for step in range(interval - 1):
        x = torch.randn(B, C, device=device)
        if step == 1:
            x[0, 0] = float('inf')  # recorded now, reported at the periodic read
        samples = labelled(labels, device)
        for sample in samples:
            sample.gt_label = sample.gt_label.as_subclass(NoHostReads)
        with no_host_sync(device):
            losses = head.loss((x.as_subclass(NoHostReads), ), samples)
            sum(v for k, v in losses.items() if 'loss' in k).backward()
    monkeypatch.setattr(NoHostReads, 'allowed', True)
    with pytest.raises(FloatingPointError, match='non-finite'):  # the interval-th update reads
        head.loss((torch.randn(B, C, device=device), ), labelled(labels, device))
