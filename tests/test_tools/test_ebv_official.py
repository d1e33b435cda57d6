"""The EBV authors' released files through mmebv's tools: a basis pickle becomes a basis file, their
ResNet-50 and Swin-T checkpoints become mmebv checkpoints with the same logits, which the EBV
ImageNet configs evaluate and the ``*-ebv-pre_*`` downstream configs start from.

Every file is built here in the authors' layout (their files have no licence): the ResNet-50 is
torchvision's (timm's keys and computation), the Swin-T torchvision's under timm 0.6.11's names.
"""
import argparse
import math
import os
import os.path as osp
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import ROOT, official_resnet50, official_swin_tiny, run, tool_module, write_official_basis
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import load_checkpoint

import mmebv.cls  # noqa: F401
from mmebv.ebv import coherence, load_basis

mapper = tool_module('ebv_official_checkpoint')  # tools/model_converters/ebv_official_checkpoint.py
OfficialCheckpointError, convert_official_checkpoint, unfold_norm_order, unfold_reduction_order = (
    mapper.OfficialCheckpointError, mapper.convert_official_checkpoint, mapper.unfold_norm_order,
    mapper.unfold_reduction_order)

N, D = 10, 16  # classes and basis dimension of the fixtures
BASIS_TOOL = 'tools/model_converters/ebv_official_basis.py'
CONVERTER = 'tools/model_converters/ebv_official_to_mmebv.py'
SOURCES = {'resnet50': official_resnet50, 'swin-t': official_swin_tiny}
R50_DOWNSTREAM = ['configs/mask_rcnn/mask-rcnn_r50-ebv-pre_ebv_1x_coco.py',
                  'configs/mask_rcnn/mask-rcnn_r50-ebv-pre_fc_1x_coco.py',
                  'configs/upernet/upernet_r50-ebv-pre_ebv_4xb4-160k_ade20k-512x512.py',
                  'configs/upernet/upernet_r50-ebv-pre_fc_4xb4-160k_ade20k-512x512.py']
SWIN_DOWNSTREAM = ['configs/mask_rcnn/mask-rcnn_swin-t-p4-w7-ebv-pre_ebv_1x_coco.py',
                   'configs/upernet/upernet_swin-t-p4-w7-ebv-pre_ebv_8xb2-160k_ade20k-512x512.py']
# detection and segmentation read every stage through its own output norm; a classifier has only the
# last one (norm3), so these start from scratch, as they do from upstream's ImageNet Swin-T
SWIN_DETECTION_ONLY = {f'norm{i}.{p}' for i in range(3) for p in ('weight', 'bias')}


def official_basis(seed: int = 0) -> torch.Tensor:
    """N unit vectors in d dims, not orthogonal (so that the coherence is not trivially 0)."""
    return F.normalize(torch.randn(N, D, generator=torch.Generator().manual_seed(seed)), dim=1)


def parse_options(options):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def build(path, options=()):
    cfg = Config.fromfile(osp.join(ROOT, path))
    if options:
        cfg.merge_from_dict(parse_options(options))
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    return MODELS.build(cfg.model)


# --- the mapping itself (no tool run) ---

def test_patch_merging_reordering_matches_unfold():
    """timm merges a 2x2 patch by concatenating x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2],
    x[1::2, 1::2]; mmpretrain's PatchMerging unfolds. The reordered weights give the same output."""
    from mmpretrain.models.utils import PatchMerging
    C = 6
    generator = torch.Generator().manual_seed(0)
    reduction, norm_w, norm_b = (torch.randn(2 * C, 4 * C, generator=generator),
                                 torch.rand(4 * C, generator=generator) + 0.5, torch.randn(4 * C, generator=generator))
    x = torch.randn(1, 4, 4, C, generator=generator)  # (B, H, W, C)
    merged = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
    expected = F.linear(F.layer_norm(merged, (4 * C, ), norm_w, norm_b), reduction).reshape(1, 4, 2 * C)
    merging = PatchMerging(C, 2 * C)
    merging.load_state_dict({'reduction.weight': unfold_reduction_order(reduction),
                             'norm.weight': unfold_norm_order(norm_w), 'norm.bias': unfold_norm_order(norm_b)})
    out, shape = merging(x.reshape(1, 16, C), (4, 4))
    assert shape == (2, 2) and torch.allclose(out, expected, atol=1e-5)


def test_checkpoint_layouts_other_than_the_authors_are_refused():
    basis = official_basis()
    resnet = {'conv1.weight': torch.zeros(1), 'layer4.0.conv1.weight': torch.zeros(1),
              'fc.weight': torch.zeros(D, 2048), 'fc.bias': torch.zeros(D)}
    state, arch = convert_official_checkpoint({f'module.backbone.{k}': v for k, v in resnet.items()}, basis)
    assert arch == 'resnet50' and state['head.classifier.projection.weight'].shape == (D, 2048)
    assert sorted(state) == ['backbone.conv1.weight', 'backbone.layer4.0.conv1.weight', 'head.classifier.basis',
                             'head.classifier.projection.bias', 'head.classifier.projection.weight']
    for wrapper in ('state_dict', 'model'):  # wrapped, and without nn.DataParallel's prefix
        assert convert_official_checkpoint({wrapper: {f'backbone.{k}': v for k, v in resnet.items()}}, basis)[1] \
            == 'resnet50'
    cases = [
        ({**resnet, 'module.extra': torch.zeros(1)}, basis, 'some keys start with'),
        (resnet, basis[:, :8], r'eq_<d>_<N>.pkl with d = 16'),
        (resnet, basis, '--arch swin-t was given'),
        ({'patch_embed.proj.weight': torch.zeros(1), 'head.fc.weight': torch.zeros(D, 768)}, basis, 'timm >= 0.9'),
        ({'patch_embed.proj.weight': torch.zeros(1), 'layers.0.blocks.0.gamma': torch.zeros(1),
          'head.weight': torch.zeros(D, 768), 'head.bias': torch.zeros(D)}, basis, 'not a key of timm 0.6.11'),
        ({'epoch': 3}, basis, 'non-tensors'),
    ]
    for checkpoint, basis_, message in cases:
        with pytest.raises(OfficialCheckpointError, match=re.escape(message) if '<' in message else message):
            convert_official_checkpoint(checkpoint, basis_, 'swin-t' if 'arch swin' in message else None)


# --- the tools ---

@pytest.mark.e2e
def test_basis_tool_writes_a_basis_the_head_loads_with_the_source_coherence(tmp_path):
    n, d = 20, 8  # more vectors than dims: eq_8_20.pkl, the dimension first in the authors' names
    source = F.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(1)), dim=1) * 1.0000001
    pkl, out = str(tmp_path / f'eq_{d}_{n}.pkl'), str(tmp_path / 'basis.pth')
    write_official_basis(pkl, source, location='cuda:0')
    log = run([BASIS_TOOL, pkl, out])
    stats, welch = coherence(source), math.sqrt((n - d) / (d * (n - 1)))
    assert f'N = {n}, d = {d}: coherence (max |cos|) {stats["max"]:.6f}' in log and 'saved on cuda:0' in log
    assert f'({stats["max"] / welch:.3f} x Welch)' in log and 'warning' not in log
    line = re.search(r'classification head: (head=dict\(.*\))', log).group(1)
    head_cfg = eval(line[len('head='):], {'dict': dict})  # the printed config line, as a user pastes it
    head = MODELS.build(dict(head_cfg, in_channels=32))
    assert torch.equal(head.classifier.basis, F.normalize(source, dim=1))
    assert load_basis(out)[1]['coherence_max'] == pytest.approx(stats['max'], abs=1e-6)
    sliced = str(tmp_path / 'rows.pth')
    log = run([BASIS_TOOL, pkl, sliced, '--rows', '0:8'])
    assert 'kept rows 0:8: N = 8' in log and torch.equal(load_basis(sliced)[0], F.normalize(source, dim=1)[:8])
    log = run([BASIS_TOOL, pkl, sliced], check=False)  # what is saved is replaced only with --force
    assert f'out_file {sliced} exists; nothing was converted. Add --force' in log
    assert load_basis(sliced)[0].shape == (8, d)
    run([BASIS_TOOL, pkl, sliced, '--force'])
    assert load_basis(sliced)[0].shape == (n, d)


@pytest.mark.e2e
def test_basis_tool_refuses_a_pickle_naming_another_global_and_writes_nothing(tmp_path):
    pkl, out = str(tmp_path / 'eq_16_10.pkl'), str(tmp_path / 'basis.pth')
    with open(pkl, 'wb') as f:  # a global that would leave a file behind if it ran
        f.write(b'\x80\x02cbuiltins\nopen\nq\x00X' + len(out + '.ran').to_bytes(4, 'little')
                + (out + '.ran').encode() + b'X\x01\x00\x00\x00w\x86R.')
    log = run([BASIS_TOOL, pkl, out], check=False)
    assert 'names the global builtins.open' in log and 'Nothing in it was run' in log
    assert not osp.exists(out) and not osp.exists(out + '.ran')


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """arch -> (source network, basis, tool output, converted checkpoint path), converted once; the
    authors' files are at ``source_files[arch]``. The ResNet-50 is converted with a basis file made
    by the basis tool first, the Swin-T with the authors' pickle itself."""
    folder, cache = tmp_path_factory.mktemp('official'), {}

    def convert(arch):
        if arch not in cache:
            basis = official_basis()
            pkl = str(folder / f'eq_{D}_{N}.pkl')
            write_official_basis(pkl, basis)
            net, state = SOURCES[arch](D)
            source = str(folder / f'EBV_{arch}.pth')
            torch.save(state, source)  # a bare state dict, as the authors saved theirs
            out = str(folder / f'ebv_official_{arch}.pth')
            if arch == 'resnet50':
                basis_file = str(folder / 'ebv_basis.pth')
                run([BASIS_TOOL, pkl, basis_file])
                log = run([CONVERTER, source, '--basis', basis_file, out])
                assert f'model.head.classifier.basis.file={basis_file}' in log and 'converted the basis' not in log
            else:
                log = run([CONVERTER, source, '--basis', pkl, out])
                assert f'converted the basis {pkl} into {out[:-len(".pth")]}.basis.pth' in log
            cache[arch] = net, basis, log, out
            convert.source_files[arch] = source, pkl
        return cache[arch]

    convert.source_files = {}
    return convert


def printed_test_options(log):
    return re.search(r'tools/test\.py \S+ \S+ --cfg-options (.*)', log).group(1).split()


@pytest.mark.e2e
@pytest.mark.parametrize('arch, config', [('resnet50', 'configs/ebv/resnet50_ebv_8xb128-105e_in1k.py'),
                                          ('swin-t', 'configs/ebv/swin-tiny_ebv_8xb128-105e_in1k.py')])
def test_converted_checkpoint_gives_the_source_networks_logits(converted, arch, config):
    net, basis, log, out = converted(arch)
    assert f'tools/test.py {config} {out}' in log
    model = build(config, printed_test_options(log)).eval()
    load_checkpoint(model, out, map_location='cpu', strict=True)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # the authors' network: backbone -> timm classifier -> normalise -> basis / 0.07
        expected = F.normalize(net(x), dim=-1) @ basis.T / 0.07
        logits = model(x, mode='tensor')
    assert (logits - expected).abs().max() < 1e-5


@pytest.mark.e2e
@pytest.mark.parametrize('arch, config', [('resnet50', c) for c in R50_DOWNSTREAM]
                         + [('swin-t', c) for c in SWIN_DOWNSTREAM])
def test_downstream_configs_start_from_the_converted_backbone(converted, arch, config):
    _, _, log, out = converted(arch)
    option = f'model.backbone.init_cfg.checkpoint={out}'
    assert f'tools/train.py {config} --cfg-options {option}' in log
    backbone = {k[len('backbone.'):]: v for k, v in torch.load(out, weights_only=True)['state_dict'].items()
                if k.startswith('backbone.')}
    model = build(config, [option])
    expected = model.backbone.state_dict()
    assert sorted(set(expected) - set(backbone)) == (sorted(SWIN_DETECTION_ONLY) if arch == 'swin-t' else [])
    assert sorted(set(backbone) - set(expected)) == []
    model.init_weights()
    loaded = model.backbone.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in backbone.items())


@pytest.mark.e2e
def test_tools_test_evaluates_the_converted_resnet_as_the_authors_do(converted, tmp_path):
    """tools/test.py with the EBV ImageNet config and the printed options, the authors' 256 x 256
    evaluation, on four 256 x 256 images (so resizing and cropping change nothing) labelled with the
    source network's prediction, one of them wrongly: top-1 must be 75, and the scores those of the
    source network (softmax of its logits)."""
    from mmengine.fileio import load
    from PIL import Image
    net, basis, log, out = converted('resnet50')
    root = tmp_path / 'imagenet'
    (root / 'val').mkdir(parents=True)
    (root / 'meta').mkdir()
    generator = np.random.default_rng(0)
    images = generator.integers(0, 256, (4, 256, 256, 3), dtype=np.uint8)
    mean, std = torch.tensor([123.675, 116.28, 103.53]), torch.tensor([58.395, 57.12, 57.375])
    with torch.no_grad():
        x = ((torch.from_numpy(images).float() - mean) / std).permute(0, 3, 1, 2)
        logits = F.normalize(net(x), dim=-1) @ basis.T / 0.07
    predicted = logits.argmax(-1).tolist()
    labels = predicted[:3] + [(predicted[3] + 1) % N]
    lines = []
    for i, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image).save(root / 'val' / f'{i}.png')
        lines.append(f'{i}.png {label}')
    (root / 'meta' / 'val.txt').write_text('\n'.join(lines) + '\n')
    authors_eval = re.search(r'evaluation \(PIL resize to 256, 256 x 256 centre crop\): add (.*)', log).group(1).split()
    data = [f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']
    dump = str(tmp_path / 'predictions.pkl')
    result = run(['tools/test.py', 'configs/ebv/resnet50_ebv_8xb32_in1k.py', out, '--work-dir', str(tmp_path / 'work'),
                  '--out', dump, '--cfg-options', *printed_test_options(log), *authors_eval, *data])
    assert re.search(r'accuracy/top1: 75\.0+', result), result[-2000:]
    scores = torch.stack([sample['pred_score'] for sample in load(dump)])  # our own dump of this run
    assert (scores - logits.softmax(-1)).abs().max() < 1e-5


@pytest.mark.e2e
def test_converter_refuses_a_checkpoint_that_needs_unsafe_loading(converted, tmp_path):
    _, _, _, out = converted('resnet50')
    pickled = str(tmp_path / 'pickled.pth')
    torch.save({'model': argparse.Namespace(weights=1)}, pickled)
    before = open(out, 'rb').read()
    log = run([CONVERTER, pickled, '--basis', out.replace('.pth', '.basis.pth'), out, '--force'], check=False)
    assert 'is refused by safe loading' in log and 'safe loading stays on' in log
    assert open(out, 'rb').read() == before  # what was saved under OUT is still there


@pytest.mark.e2e
def test_converter_names_every_key_that_does_not_fit_the_config(converted, tmp_path):
    converted('swin-t')
    source, pkl = converted.source_files['swin-t']
    out = str(tmp_path / 'swin_as_resnet.pth')
    log = run([CONVERTER, source, '--basis', pkl, out, '--config', 'configs/ebv/resnet50_ebv_8xb32_in1k.py'],
              check=False)
    assert 'does not fit the model this config builds' in log and 'Is configs/ebv/resnet50_ebv_8xb32_in1k.py' in log
    assert re.search(r'lacks \d+ weights the model needs \(backbone\.', log)
    assert re.search(r'holds \d+ the model does not have \(backbone\.', log)
    assert os.listdir(tmp_path) == []  # neither the checkpoint nor the converted basis, nor a temporary file


@pytest.mark.e2e
def test_converter_never_replaces_what_is_saved_unasked(converted):
    _, _, _, out = converted('swin-t')  # converted from the authors' pickle: OUT and its .basis.pth exist
    source, pkl = converted.source_files['swin-t']
    before = open(out, 'rb').read()
    log = run([CONVERTER, source, '--basis', pkl, out], check=False)
    assert f'OUT {out} exists; nothing was converted. Add --force' in log
    assert open(out, 'rb').read() == before
    # the basis it converted is an mmebv basis file, accepted as --basis; OUT is replaced with --force
    log = run([CONVERTER, source, '--basis', out[:-len('.pth')] + '.basis.pth', out, '--force'])
    assert f'wrote {out}' in log and 'converted the basis' not in log
