"""Strip a training checkpoint to what torch's safe loading reads: tensors and plain Python."""
import os.path as osp
from typing import Any, Tuple

import torch

from .files import file_sha256, replace_atomically

PLAIN = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """``value`` with everything but plain Python (str, numbers, lists, tuples, dicts) left out."""
    if isinstance(value, PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        items = [plain(v) for v in value if _is_plain(v)]
        return type(value)(items)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if isinstance(k, PLAIN) and _is_plain(v)}
    raise TypeError(f'{type(value).__name__} is not plain Python')


def _is_plain(value: Any) -> bool:
    return isinstance(value, PLAIN) or isinstance(value, (list, tuple, dict))


def publish(checkpoint: dict, out: str) -> Tuple[str, str]:
    """Save ``checkpoint``'s weights and plain meta to ``out`` with its hash in the name.

    Args:
        checkpoint (dict): a loaded mmengine checkpoint (``state_dict`` and ``meta``), or a bare
            state dict.
        out (str): the output path; ``'-<first 8 hex of sha256>'`` is inserted before ``.pth``.

    Returns:
        tuple[str, str]: the final path and the full sha256.
    """
    state = checkpoint.get('state_dict', checkpoint)
    if not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError('the checkpoint has no state_dict of tensors: is it a model checkpoint?')
    published = dict(state_dict={k: v.detach().cpu().contiguous() for k, v in state.items()},
                     meta=plain(checkpoint.get('meta', {}) if 'state_dict' in checkpoint else {}))
    root, ext = osp.splitext(out)
    tmp = f'{root}.tmp{ext or ".pth"}'
    torch.save(published, tmp)
    sha256 = file_sha256(tmp)
    final = f'{root}-{sha256[:8]}{ext or ".pth"}'
    replace_atomically(tmp, final)
    return final, sha256
