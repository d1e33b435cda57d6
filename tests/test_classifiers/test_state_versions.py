"""A classifier layer that changes its state-dict layout raises ``_version`` and rewrites older state
dicts in ``migrate`` (detectron2's mechanism, torch's metadata); mmengine's checkpoints keep the
version, so a checkpoint of the older layout loads into the newer layer."""
import torch
import torch.nn as nn
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint

from mmebv.classifiers import ClassifierLayer


class ScaledV1(ClassifierLayer):
    """Version 1 of a toy layer: its weight is saved as ``w``."""

    def __init__(self, in_features=4, num_classes=3, channel_dim=-1):
        super().__init__(in_features, num_classes, channel_dim)
        self.w = nn.Parameter(torch.randn(num_classes, in_features))

    def logits(self, x):
        return x @ self.w.T


class ScaledV2(ClassifierLayer):
    """Version 2 renames ``w`` to ``weight`` and migrates version-1 state dicts."""

    _version = 2

    def __init__(self, in_features=4, num_classes=3, channel_dim=-1):
        super().__init__(in_features, num_classes, channel_dim)
        self.weight = nn.Parameter(torch.zeros(num_classes, in_features))

    def logits(self, x):
        return x @ self.weight.T

    def migrate(self, state_dict, prefix, version):
        if version < 2:
            state_dict[prefix + 'weight'] = state_dict.pop(prefix + 'w')


def test_an_older_layout_saved_by_mmengine_loads_into_the_newer_layer(tmp_path):
    old = nn.Sequential(nn.Linear(4, 4), ScaledV1())
    path = str(tmp_path / 'v1.pth')
    save_checkpoint(old.state_dict(), path)
    new = nn.Sequential(nn.Linear(4, 4), ScaledV2())
    load_checkpoint(new, path, strict=True)
    x = torch.randn(2, 4)
    assert torch.equal(new(x), old(x))


def test_the_current_layout_is_not_migrated():
    layer = ScaledV2()
    with torch.no_grad():
        layer.weight.add_(1.0)
    state = layer.state_dict()
    assert state._metadata['']['version'] == 2
    restored = ScaledV2()
    restored.load_state_dict(state)
    assert torch.equal(restored.weight, layer.weight)
