"""Map the EBV authors' released checkpoints onto mmebv's classifier layout (pure torch).

A module of the converter tools, not of the package: ``ebv_official_to_mmebv.py`` imports it as its
sibling (``import mmebv`` never loads it).

Their classification network (aassxun/Equiangular-Basis-Vectors,
``ImageNet_Validation_Experiment/EBV_ImageNet.py``) is a timm model created with
``num_classes = d``, so timm's classifier *is* the projection C -> d; its output is L2-normalised
and compared with the basis (which is not in the checkpoint). The model was wrapped in
``nn.DataParallel`` and saved as a bare state dict: keys ``module.backbone.<timm key>``. Their
environment pins timm 0.6.11.

This module turns such a state dict into the state dict of mmebv's ``ImageClassifier`` with an
``EBVClsHead``: ``backbone.<mmpretrain key>``, ``head.classifier.projection.{weight,bias}`` (timm's
classifier) and ``head.classifier.basis`` (N, d).

- **resnet50**: timm's ``resnet50`` and mmpretrain's ``ResNet(depth=50)`` have the same keys and
  shapes (both follow torchvision's layout, the stride on the 3x3 conv); the backbone keys are
  kept, ``fc`` becomes the projection.
- **swin-t**: timm 0.6.11's ``swin_tiny_patch4_window7_224`` onto mmpretrain's
  ``SwinTransformer(arch='tiny')``: ``patch_embed.proj`` -> ``patch_embed.projection``,
  ``layers.i.blocks.j.attn.*`` -> ``stages.i.blocks.j.attn.w_msa.*``, ``mlp.fc1`` / ``mlp.fc2`` ->
  ``ffn.layers.0.0`` / ``ffn.layers.1``, ``layers.i.downsample`` -> ``stages.i.downsample`` with its
  channels reordered (timm concatenates the 2x2 patch as positions (0,0), (1,0), (0,1), (1,1), each
  C channels; mmpretrain's ``nn.Unfold`` interleaves them channel by channel in the order (0,0),
  (0,1), (1,0), (1,1); the same reordering as mmdet's ``swin_converter``), the final ``norm`` ->
  ``norm3``, and ``head`` becomes the projection. timm's ``attn_mask`` buffers are left out: they
  are a function of the feature size, which mmpretrain computes at run time.
"""
import re
from typing import Any, Dict, Optional, Tuple

import torch

ARCHS = ('resnet50', 'swin-t')
# timm's classifier in each architecture: it is EBV's projection C -> d
CLASSIFIER = {'resnet50': 'fc', 'swin-t': 'head'}
PREFIXES = ('module.', 'backbone.')  # nn.DataParallel's, then the authors' Net wrapper's
SWIN_STAGES = 4  # Swin-T's depths (2, 2, 6, 2)
SWIN_BLOCK = {'attn.': 'attn.w_msa.', 'mlp.fc1.': 'ffn.layers.0.0.', 'mlp.fc2.': 'ffn.layers.1.'}


class OfficialCheckpointError(ValueError):
    """A checkpoint is not in the layout of the EBV authors' released ones."""


def unwrap_state_dict(checkpoint: Any) -> Dict[str, torch.Tensor]:
    """The bare timm state dict inside a checkpoint of the authors.

    Accepts a bare state dict or one under ``state_dict`` / ``model``, and strips ``module.``
    (``nn.DataParallel``) and then ``backbone.`` (their ``Net`` wrapper) where every key has it.

    Args:
        checkpoint: what ``torch.load`` returned.

    Returns:
        dict: timm key -> tensor.
    """
    if isinstance(checkpoint, dict):
        for wrapper in ('state_dict', 'model'):
            if isinstance(checkpoint.get(wrapper), dict):
                checkpoint = checkpoint[wrapper]
                break
    if not isinstance(checkpoint, dict) or not checkpoint:
        raise OfficialCheckpointError(f'the checkpoint holds a {type(checkpoint).__name__}, not a state dict')
    not_tensors = [k for k, v in checkpoint.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise OfficialCheckpointError(f'the checkpoint\'s state dict holds non-tensors under {not_tensors[:5]}: '
                                      f'not a state dict of a network')
    state = dict(checkpoint)
    for prefix in PREFIXES:
        having = [k.startswith(prefix) for k in state]
        if all(having):
            state = {k[len(prefix):]: v for k, v in state.items()}
        elif any(having):
            others = [k for k in state if not k.startswith(prefix)][:5]
            hint = (' (head.* beside backbone.*: it looks like an mmpretrain/mmebv checkpoint already, which '
                    'needs no conversion)') if prefix == 'backbone.' and any(k.startswith('head.') for k in others) \
                else ''
            raise OfficialCheckpointError(f'some keys start with {prefix!r} and some do not (e.g. {others}){hint}')
    return state


def detect_arch(state: Dict[str, torch.Tensor]) -> Optional[str]:
    """'swin-t', 'resnet50', or None, from the keys of an unwrapped state dict."""
    if 'patch_embed.proj.weight' in state:
        return 'swin-t'
    if 'layer4.0.conv1.weight' in state and 'conv1.weight' in state:
        return 'resnet50'
    return None


def unfold_reduction_order(weight: torch.Tensor) -> torch.Tensor:
    """A timm patch-merging reduction weight (out, 4C) in ``nn.Unfold``'s input order."""
    out_channels, in_channels = weight.shape
    return weight.reshape(out_channels, 4, in_channels // 4)[:, [0, 2, 1, 3], :].transpose(1, 2) \
        .reshape(out_channels, in_channels)


def unfold_norm_order(vector: torch.Tensor) -> torch.Tensor:
    """A timm patch-merging norm weight or bias (4C, ) in ``nn.Unfold``'s order."""
    channels = vector.shape[0]
    return vector.reshape(4, channels // 4)[[0, 2, 1, 3], :].transpose(0, 1).reshape(channels)


def swin_key(key: str, value: torch.Tensor) -> Optional[Tuple[str, torch.Tensor]]:
    """One timm 0.6.11 Swin-T backbone entry as mmpretrain's; None for ``attn_mask`` buffers.

    Raises:
        OfficialCheckpointError: a key that timm 0.6.11's Swin-T does not have.
    """
    if key.startswith('patch_embed.proj.'):
        return key.replace('patch_embed.proj.', 'patch_embed.projection.', 1), value
    if key in ('patch_embed.norm.weight', 'patch_embed.norm.bias'):
        return key, value
    if key in ('norm.weight', 'norm.bias'):
        return f'norm{SWIN_STAGES - 1}.' + key.split('.', 1)[1], value
    match = re.fullmatch(r'layers\.(\d+)\.blocks\.(\d+)\.(.+)', key)
    if match:
        stage, block, rest = match.groups()
        if rest == 'attn_mask':
            return None
        for old, new in SWIN_BLOCK.items():
            if rest.startswith(old):
                rest = new + rest[len(old):]
                break
        if rest.split('.')[0] in ('norm1', 'norm2', 'attn', 'ffn'):
            return f'stages.{stage}.blocks.{block}.{rest}', value
    match = re.fullmatch(r'layers\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)', key)
    if match:
        stage, rest = match.groups()
        value = unfold_reduction_order(value) if rest == 'reduction.weight' else unfold_norm_order(value)
        return f'stages.{stage}.downsample.{rest}', value
    raise OfficialCheckpointError(f'{key!r} is not a key of timm 0.6.11\'s swin_tiny_patch4_window7_224, the '
                                  f'model the EBV authors trained')


def convert_official_checkpoint(checkpoint: Any, basis: torch.Tensor,
                                arch: Optional[str] = None) -> Tuple[Dict[str, torch.Tensor], str]:
    """The authors' checkpoint as the state dict of mmebv's classifier with an ``EBVClsHead``.

    Args:
        checkpoint: what ``torch.load`` returned for their ``.pth`` (see :func:`unwrap_state_dict`).
        basis (Tensor): (N, d) unit rows, the basis they trained with (not in their checkpoint).
        arch (str, optional): 'resnet50' or 'swin-t'. Defaults to None (read from the keys).

    Returns:
        tuple: the state dict (``backbone.*``, ``head.classifier.projection.*``,
        ``head.classifier.basis``) and the architecture.
    """
    state = unwrap_state_dict(checkpoint)
    found = detect_arch(state)
    if 'head.fc.weight' in state and 'patch_embed.proj.weight' in state:
        raise OfficialCheckpointError('the classifier is under head.fc: a Swin saved by timm >= 0.9, whose layout '
                                      'differs from timm 0.6.11\'s, the one the EBV authors used and this reads')
    if found is None:
        raise OfficialCheckpointError(f'neither a timm resnet50 nor a timm Swin-T (keys start {sorted(state)[:4]})')
    if arch is not None and arch != found:
        raise OfficialCheckpointError(f'--arch {arch} was given but the keys are those of a {found}')
    classifier = CLASSIFIER[found]
    weight, bias = state.pop(f'{classifier}.weight', None), state.pop(f'{classifier}.bias', None)
    if weight is None or bias is None:
        raise OfficialCheckpointError(f'{classifier}.weight and {classifier}.bias (timm\'s classifier, EBV\'s '
                                      f'projection) are missing')
    if basis.dim() != 2 or weight.dim() != 2 or weight.shape[0] != basis.shape[1] or bias.shape != weight.shape[:1]:
        raise OfficialCheckpointError(f'the projection {classifier} maps to {weight.shape[0]} dims (weight '
                                      f'{tuple(weight.shape)}, bias {tuple(bias.shape)}) but the basis is '
                                      f'{tuple(basis.shape)} (N, d): give the basis the network was trained with '
                                      f'(eq_<d>_<N>.pkl with d = {weight.shape[0]})')
    converted = {}
    for key, value in state.items():
        entry = (key, value) if found == 'resnet50' else swin_key(key, value)
        if entry is not None:
            converted['backbone.' + entry[0]] = entry[1].contiguous()
    converted['head.classifier.projection.weight'] = weight.contiguous()
    converted['head.classifier.projection.bias'] = bias.contiguous()
    converted['head.classifier.basis'] = basis.detach().to('cpu', torch.float32).contiguous()
    return converted, found
