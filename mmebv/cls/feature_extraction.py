"""Load a trained classifier from its config and checkpoint, and collect its features."""
from typing import Dict, Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint


def load_classifier(config: str, checkpoint: Optional[str] = None) -> torch.nn.Module:
    """Build the model of an mmpretrain-style ``config`` and load ``checkpoint`` (safe loading)."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:  # mmpretrain configs keep it beside the model
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.cfg = cfg
    return model.eval()


def class_representation(head: torch.nn.Module) -> Optional[torch.Tensor]:
    """The head's class vectors (N, d) or class subspaces (N, k, d); None when it has neither.

    mmebv's heads answer through their classifier layer
    (:meth:`~mmebv.classifiers.ClassifierLayer.class_representation`); of mmpretrain's own heads,
    the linear one keeps its class vectors in ``fc.weight``.
    """
    from mmpretrain.models.heads import LinearClsHead

    from .heads import GeometricClsHead
    if isinstance(head, GeometricClsHead):
        return head.class_representation()
    if isinstance(head, LinearClsHead):
        return head.fc.weight.detach()
    return None


@torch.no_grad()
def collect(model: torch.nn.Module, dataloader_cfg: dict, max_samples: Optional[int] = None) -> Dict[str, torch.Tensor]:
    """Run ``model`` over a dataloader: the head's input features, its scores, and the labels."""
    dataloader = Runner.build_dataloader(dataloader_cfg)
    features, scores, labels = [], [], []
    for data in dataloader:
        data = model.data_preprocessor(data, False)
        feats = model.extract_feat(data['inputs'])
        features.append(model.head.pre_logits(feats))
        scores.append(model.head(feats))
        labels.append(torch.cat([s.gt_label for s in data['data_samples']]))
        if max_samples and sum(len(f) for f in features) >= max_samples:
            break
    out = dict(features=torch.cat(features), scores=torch.cat(scores), labels=torch.cat(labels))
    return {k: v[:max_samples] for k, v in out.items()} if max_samples else out
