"""What several test files share: the project root and running the project's tools as a user would."""
import os
import os.path as osp
import subprocess
import sys
from typing import Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def user_env(**extra: str) -> dict:
    """This process's environment with torch's safe loading on (as for a user), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(extra)
    return env


def run(args: Sequence[str], cwd: str = ROOT, env: Optional[dict] = None, timeout: int = 900,
        check: bool = True) -> str:
    """Run ``args`` (a ``*.py`` first argument runs under this interpreter) and return its output.

    With ``check`` the command must exit 0; the assertion shows the end of its output otherwise.
    """
    args = [sys.executable, *args] if str(args[0]).endswith('.py') else list(args)
    result = subprocess.run(args, cwd=cwd, env=env or user_env(), capture_output=True, text=True, timeout=timeout)
    log = result.stdout + result.stderr
    assert not check or result.returncode == 0, log[-5000:]
    return log


def tool_module(name: str):
    """The module ``tools/model_converters/<name>.py`` (a converter's sibling module, outside the
    package), imported once under ``name`` as the converter scripts import it."""
    import importlib.util
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, 'tools', 'model_converters', f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def deflated_storage(source: str, out: str, size: int) -> None:
    """Copy the torch zip checkpoint ``source`` to ``out`` with its storage record ``data/0`` replaced
    by ``size`` zero bytes, deflated (torch.save stores every record uncompressed): a zip bomb of
    about ``size / 1000`` bytes."""
    import zipfile
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, 'w') as dst:
        for record in src.infolist():
            if record.filename.endswith('/data/0'):
                deflated = zipfile.ZipInfo(record.filename)
                deflated.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(deflated, 'w', force_zip64=True) as f:
                    for _ in range(size >> 20):
                        f.write(bytes(1 << 20))
            else:
                dst.writestr(record, src.read(record))


class Overtime(BaseException):
    """A call of :func:`loading_cost` that ran past its time."""


def loading_cost(load, seconds: float):
    """Run ``load()`` and measure it: ``(outcome, seconds, MiB)``, the outcome being its value or the
    exception it raised, MiB the peak resident memory above what the process held before (Linux: the
    peak is reset through /proc/self/clear_refs, so torch's allocations count too). Time is the
    process's CPU time, so that other work on a loaded machine does not count against the loader. A
    call still running after ``seconds`` of it is interrupted (SIGPROF; pure-Python loops only) and its
    outcome is an :class:`Overtime` (a BaseException, which no loader's ``except Exception`` turns
    into its own error)."""
    import signal
    import time

    def status(field: str) -> int:
        with open('/proc/self/status') as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field)) // 1024

    def expire(*_):
        raise Overtime(f'still running after {seconds} s')

    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # resets VmHWM, the peak resident memory
    before = status('VmRSS')
    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    start = time.process_time()
    try:
        outcome = load()
    except (Exception, Overtime) as error:  # the outcome is what the caller checks
        outcome = error
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return outcome, time.process_time() - start, status('VmHWM') - before


# --- Inputs of heads ---

def samples(labels) -> list:
    """mmpretrain DataSamples with the hard labels ``labels`` (ints or a 1-d tensor)."""
    from mmpretrain.structures import DataSample
    return [DataSample().set_gt_label(int(label)) for label in labels]


def toy_problem(seed: int = 0):
    """Four well-separated Gaussian clusters in 16 dims: (64, 16) features and their (64, ) labels."""
    import torch
    generator = torch.Generator().manual_seed(seed)
    centers = torch.randn(4, 16, generator=generator) * 3
    labels = torch.arange(64) % 4
    return centers[labels] + torch.randn(64, 16, generator=generator), labels


# --- Files in the layouts the EBV and GCR authors release (built here: their files are not ours) ---

def write_official_basis(path: str, basis, location: str = 'cuda:0') -> None:
    """Write ``basis`` (N, d) as the EBV authors wrote their eq_<d>_<N>.pkl files: ``pickle.dump`` of
    a float32 tensor (protocol 4, Python 3.8's default), whose storage torch's own legacy serializer
    writes under the location tag ``location`` ('cuda:0' for most of theirs) — on a CPU machine."""
    import pickle
    from unittest import mock

    import torch
    with mock.patch.object(torch.serialization, 'location_tag', lambda storage: location):
        with open(path, 'wb') as f:
            pickle.dump(basis.detach().contiguous(), f, protocol=4)


def randomize_(net, seed: int = 0):
    """Give every parameter and norm statistic of ``net`` random values (in place; eval mode), so
    that a misplaced or permuted tensor changes the output."""
    import torch
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in net.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith('running_var') or (name.endswith('weight') and tensor.dim() == 1):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator))  # norm scales, variances
            else:
                tensor.add_(0.05 * torch.randn(tensor.shape, generator=generator))
    return net.eval()


def official_resnet50(dim: int, seed: int = 0):
    """The EBV authors' ResNet-50 (timm ``resnet50`` with ``fc`` 2048 -> d) with random weights, and
    its state dict as they saved it (``nn.DataParallel`` around their ``Net``: keys
    ``module.backbone.<key>``). torchvision's resnet50 has timm's keys, shapes and computation."""
    import torchvision
    net = randomize_(torchvision.models.resnet50(num_classes=dim), seed)
    return net, {f'module.backbone.{k}': v.clone() for k, v in net.state_dict().items()}


def timm_swin_key(key: str, value):
    """A torchvision ``swin_t`` state-dict entry under timm 0.6.11's ``swin_tiny_patch4_window7_224``
    name (checked while writing this: the renamed weights load strictly into timm 0.6.11's model and
    give bit-identical outputs)."""
    import re
    stage = re.match(r'features\.(\d+)\.(.*)', key)
    if not stage:
        return key, value  # norm.*, head.*
    index, rest = int(stage.group(1)), stage.group(2)
    if index == 0:  # Conv2d, Permute, LayerNorm
        part, param = rest.split('.', 1)
        return f'patch_embed.{dict([("0", "proj"), ("2", "norm")])[part]}.{param}', value
    if index % 2 == 1:  # the blocks of stage (index - 1) / 2
        rest = rest.replace('mlp.0.', 'mlp.fc1.').replace('mlp.3.', 'mlp.fc2.')
        if rest.endswith('relative_position_index'):
            value = value.view(49, 49)  # torchvision keeps it flat; timm as (Wh Ww, Wh Ww)
        return f'layers.{(index - 1) // 2}.blocks.{rest}', value
    return f'layers.{(index - 2) // 2}.downsample.{rest}', value  # timm merges at the end of a stage


def official_swin_tiny(dim: int, seed: int = 0):
    """The EBV authors' Swin-T (timm 0.6.11 ``swin_tiny_patch4_window7_224``, ``head`` 768 -> d) with
    random weights, as torchvision's ``swin_t`` (the same computation), and its state dict in their
    layout: timm 0.6.11's keys under ``module.backbone.``, with the ``attn_mask`` buffers timm 0.6.11
    keeps for the shifted blocks at 224 px (values from mmpretrain's mask function, which gives
    timm's)."""
    import torchvision
    from mmpretrain.models.utils.attention import ShiftWindowMSA
    net = randomize_(torchvision.models.swin_t(num_classes=dim), seed)
    state = dict(timm_swin_key(k, v.clone()) for k, v in net.state_dict().items())
    for stage, depth in enumerate((2, 2, 6)):  # stage 3 (7 x 7 = one window) is not shifted
        size = 56 // 2**stage
        for block in range(1, depth, 2):
            state[f'layers.{stage}.blocks.{block}.attn_mask'] = ShiftWindowMSA.get_attn_mask((size, size), 7, 3, 'cpu')
    return net, {f'module.backbone.{k}': v for k, v in state.items()}


def ortho_error(W) -> float:
    """max |W Wᵀ - I| of orthonormal rows W (..., k, d), computed here independently of mmebv."""
    import torch
    return (W @ W.transpose(-2, -1) - torch.eye(W.shape[-2], dtype=W.dtype)).abs().max().item()


# --- GCR: a head to train, and references written independently of mmebv ---

def grassmann_head(num_classes: int = 4, in_channels: int = 16, **classifier):
    """mmpretrain's ``GeometricClsHead`` with a ``Grassmann`` classifier (subspace_dim 3 unless
    ``classifier`` says otherwise); ``head.subspaces`` is its one parameter, (N, k, C)."""
    from mmpretrain.registry import MODELS

    import mmebv.cls  # noqa: F401
    classifier = dict(dict(type='Grassmann', subspace_dim=3), **classifier)
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=num_classes, in_channels=in_channels,
                             classifier=classifier))
    head.subspaces = head.classifier.subspaces  # the one parameter, under a short name
    return head


def norms_one_class_at_a_time(x, subspaces):
    """(B, N): the norm of each feature x (B, C)'s projection on each subspace (N, k, C), one class at a time."""
    import torch
    return torch.stack([(x @ basis.T).norm(dim=1) for basis in subspaces], dim=1)


def reference_geodesic(S, H):
    """Edelman, Arias & Smith's geodesic for column bases S (.., d, k), tangent H: S V cos(Σ) Vᵀ + U sin(Σ) Vᵀ
    with the thin SVD H = U Σ Vᵀ (written independently of mmebv's row-layout k x k form)."""
    import torch
    U, sigma, Vh = torch.linalg.svd(H, full_matrices=False)
    V = Vh.transpose(-2, -1)
    return (S @ V * torch.cos(sigma).unsqueeze(-2) + U * torch.sin(sigma).unsqueeze(-2)) @ Vh
