"""Accuracy of a class-incremental session, with the average incremental accuracy and forgetting
over the sessions so far (read from the previous session's results file)."""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

FORMAT = 'mmebv-incremental-v1'


def read_history(path: str) -> List[dict]:
    """The sessions recorded in a results file written by :class:`IncrementalAccuracy` (JSON only).

    Args:
        path (str): the file (``<previous session's work dir>/incremental.json``).

    Returns:
        list[dict]: one dict per session, oldest first, each with ``num_classes`` (int),
        ``accuracy`` (float, %) and ``per_class`` (list of ``num_classes`` floats, %).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'IncrementalAccuracy: history={path!r} does not exist: it is the previous session\'s '
                                f'results file (its work dir\'s incremental.json, written when it was validated); run '
                                f'that session first, or set history=None for the first session')
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'IncrementalAccuracy: history={path!r} is not JSON ({error}): give the '
                             f'incremental.json an earlier session wrote') from None
    sessions = data.get('sessions') if isinstance(data, dict) and data.get('format') == FORMAT else None
    if not isinstance(sessions, list) or not sessions or not all(
            isinstance(s, dict) and isinstance(s.get('num_classes'), int) and isinstance(s.get('per_class'), list)
            and len(s['per_class']) == s['num_classes'] and isinstance(s.get('accuracy'), (int, float))
            for s in sessions):
        raise ValueError(f'IncrementalAccuracy: history={path!r} is not a results file of IncrementalAccuracy '
                         f'(format {FORMAT!r} with a list of sessions, each num_classes, accuracy, per_class)')
    return sessions


def session_scores(sessions: List[dict]) -> List[dict]:
    """Per session (oldest first): ``accuracy``, ``average_incremental`` (mean accuracy of the sessions
    up to it) and ``forgetting`` (mean over the classes of the sessions before it of their best
    accuracy in those sessions minus their accuracy in it; None for the first session), all in %.

    Args:
        sessions (list[dict]): as :func:`read_history` returns them.
    """
    scores = []
    for k, session in enumerate(sessions):
        old = sessions[k - 1]['num_classes'] if k else 0
        forgetting = None
        if old:
            best = np.array([np.nanmax([s['per_class'][c] for s in sessions[:k] if c < s['num_classes']])
                             for c in range(old)])
            drop = best - np.array(session['per_class'][:old], dtype=float)
            forgetting = float(np.nanmean(drop)) if not np.isnan(drop).all() else float('nan')
        scores.append(dict(num_classes=session['num_classes'], accuracy=float(session['accuracy']),
                           average_incremental=float(np.mean([s['accuracy'] for s in sessions[:k + 1]])),
                           forgetting=forgetting))
    return scores


@METRICS.register_module()
class IncrementalAccuracy(BaseMetric):
    """Top-1 accuracy on every class seen so far, for one session of class-incremental learning.

    Reports (in %): ``accuracy`` (all ``num_classes`` seen so far), ``accuracy_old`` and
    ``accuracy_new`` (classes below / from ``num_old_classes``), ``average_incremental`` (mean of
    ``accuracy`` over this and every earlier session) and, from the second session on,
    ``forgetting`` (mean over the old classes of their best accuracy in an earlier session minus
    their accuracy now). The earlier sessions come from ``history``, the results file of the
    previous session; every evaluation writes this session's (the earlier ones plus its own) to
    ``out_file``, which the next session's config names as its ``history``. The file is JSON:
    ``{"format": "mmebv-incremental-v1", "sessions": [{"num_classes", "accuracy", "per_class"}, ...]}``;
    a later evaluation of the same session replaces its entry.

    Args:
        num_classes (int): classes seen so far (0..num_classes-1); a ground-truth label outside is
            refused.
        num_old_classes (int): classes of the earlier sessions. Defaults to 0 (the base session).
        history (str, optional): the previous session's results file; required when
            ``num_old_classes > 0``. Defaults to None.
        out_file (str, optional): where to write the results (rank 0). Defaults to None (not
            written).
        collect_device (str): see ``BaseMetric``. Defaults to 'cpu'.
        prefix (str): key prefix. Defaults to 'incremental'.

    Example:
        >>> val_evaluator = dict(type='IncrementalAccuracy', num_classes=6, num_old_classes=4,
        ...                      history='work_dirs/inc/session_1/incremental.json',
        ...                      out_file='work_dirs/inc/session_2/incremental.json')
    """

    def __init__(self, num_classes: int, num_old_classes: int = 0, history: Optional[str] = None,
                 out_file: Optional[str] = None, collect_device: str = 'cpu', prefix: str = 'incremental') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f'IncrementalAccuracy: num_classes={num_classes!r} must be an int >= 1 (classes seen '
                             f'so far)')
        if not isinstance(num_old_classes, int) or isinstance(num_old_classes, bool) or not (
                0 <= num_old_classes < num_classes):
            raise ValueError(f'IncrementalAccuracy: num_old_classes={num_old_classes!r} must be an int in '
                             f'[0, num_classes={num_classes}) (the classes of the earlier sessions)')
        if num_old_classes and history is None:
            raise ValueError(f'IncrementalAccuracy: num_old_classes={num_old_classes} needs history= the previous '
                             f'session\'s results file (its incremental.json) for the average and forgetting')
        if not num_old_classes and history is not None:
            raise ValueError(f'IncrementalAccuracy: history={history!r} with num_old_classes=0: the base session has '
                             f'no earlier session; set num_old_classes to the earlier sessions\' class count')
        self.num_classes, self.num_old_classes = num_classes, num_old_classes
        self.history = read_history(history) if history is not None else []
        if self.history and self.history[-1]['num_classes'] != num_old_classes:
            raise ValueError(f'IncrementalAccuracy: history={history!r} ends with a session of '
                             f'{self.history[-1]["num_classes"]} classes, but num_old_classes={num_old_classes}: '
                             f'name the previous session\'s file, or set num_old_classes to its class count')
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append((int(np.asarray(sample['gt_label'].cpu()).reshape(-1)[0]),
                                 int(np.asarray(sample['pred_label'].cpu()).reshape(-1)[0])))

    def compute_metrics(self, results: list) -> dict:
        gt, pred = np.array(results, dtype=np.int64).reshape(-1, 2).T
        outside = sorted(set(gt[(gt < 0) | (gt >= self.num_classes)].tolist()))
        if outside:
            raise ValueError(f'IncrementalAccuracy: the validation set holds classes {outside}, outside the '
                             f'{self.num_classes} seen so far: validate on the classes seen so far only')
        correct = gt == pred
        per_class = [float(correct[gt == c].mean() * 100) if (gt == c).any() else float('nan')
                     for c in range(self.num_classes)]
        accuracy = float(correct.mean() * 100)
        old = gt < self.num_old_classes
        metrics = {'accuracy': accuracy, 'accuracy_new': float(correct[~old].mean() * 100) if (~old).any() else 0.0}
        sessions = self.history + [dict(num_classes=self.num_classes, accuracy=accuracy, per_class=per_class)]
        scores = session_scores(sessions)[-1]
        metrics['average_incremental'] = scores['average_incremental']
        if self.num_old_classes:
            metrics['accuracy_old'] = float(correct[old].mean() * 100) if old.any() else 0.0
            metrics['forgetting'] = scores['forgetting']
        if self.out_file:
            os.makedirs(osp.dirname(osp.abspath(self.out_file)), exist_ok=True)
            temporary = f'{self.out_file}.tmp{os.getpid()}'
            with open(temporary, 'w') as f:
                json.dump(dict(format=FORMAT, sessions=sessions), f, indent=1)
            os.replace(temporary, self.out_file)
        return metrics
