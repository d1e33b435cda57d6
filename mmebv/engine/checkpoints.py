"""Checkpoints that survive a kill, a resume that finds a good one, and a test that refuses a wrong one.

- :class:`AtomicCheckpointHook` is mmengine's ``CheckpointHook`` with three changes: every checkpoint
  (periodic, best, ``last_checkpoint``) is written to a hidden temporary file and renamed into place,
  so a name only ever holds a complete file; an old checkpoint is removed only after its successor
  is complete (mmengine 0.10 removes it first, so with ``max_keep_ckpts=1`` a kill during the save
  left nothing); and it removes only regular files of the names it writes (``epoch_N.pth`` /
  ``iter_N.pth`` after ``filename_tmpl``, ``best_*_<that>.pth``, its own temporary files) directly in
  this run's directory: never a directory, a symlink or anything elsewhere, whatever the paths a
  resumed checkpoint's message hub names (``best_ckpt``, ``keep_ckpt_ids``).
- :func:`find_resumable_checkpoint` picks what ``--resume`` without a path resumes from: the file
  ``last_checkpoint`` names if it reads completely, else the newest ``epoch_*/iter_*`` checkpoint
  that does, saying why it skipped the others (whatever error a candidate raises).
- :class:`CheckpointMatchHook` stops ``tools/test.py`` when the checkpoint's weights are not the
  model's (another head, another config), instead of evaluating randomly initialised layers.
"""
import copy
import glob
import itertools
import os
import os.path as osp
import re
import stat
import string
from collections import deque
from typing import Callable, List, Optional

import torch
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.registry import HOOKS

from mmebv.utils.files import replace_atomically

from .safe_loading import CheckpointError, verify_checkpoint

TMP_MARK = '.tmp-'
RESUMABLE = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def write_text_atomically(text: str, path: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    tmp = osp.join(osp.dirname(path), f'.{osp.basename(path)}{TMP_MARK}{os.getpid()}')
    with open(tmp, 'w') as f:
        f.write(text)
    replace_atomically(tmp, path)


def _name_pattern(template: str) -> str:
    """A regular expression for the names ``template.format(step)`` gives for integer steps."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(r'\d+')
    return ''.join(parts)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) whose saves cannot leave a run without a usable checkpoint.

    ``tools/train.py`` uses it in place of ``CheckpointHook`` for every config. Atomic writes need a
    local ``out_dir``; with another storage backend it saves as ``CheckpointHook`` does, still removing
    old checkpoints only after the new one is written.
    """

    def _atomic(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def before_train(self, runner) -> None:
        keep = self.max_keep_ckpts
        self.max_keep_ckpts = -1  # mmengine's before_train would remove what keep_ckpt_ids names itself
        try:
            super().before_train(runner)
        finally:
            self.max_keep_ckpts = keep
        periodic = _name_pattern(self.filename_tmpl)
        self._own_names = dict(periodic=re.compile(f'^{periodic}$'),
                               best=re.compile(f'^best_.+_{_name_pattern(self.filename_tmpl.replace("/", "_"))}$'),
                               temporary=re.compile(rf'^\.(?:{periodic}|best_.+|last_checkpoint){re.escape(TMP_MARK)}\d+$'))
        if self.save_best is not None:
            self._check_best_paths(runner)
        if keep > 0:
            saved = runner.message_hub.get_info('keep_ckpt_ids', [])
            saved = list(saved) if isinstance(saved, (list, tuple)) else [saved]
            steps = [step for step in saved if type(step) is int]
            if len(steps) != len(saved):
                runner.logger.warning(f'the resumed checkpoint lists checkpoints to keep that are not step numbers '
                                      f'({str(saved)[:100]}): ignored')
            while len(steps) > keep:
                self._remove(runner, self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(steps.pop(0))),
                             'periodic')
            self.keep_ckpt_ids = deque(steps, keep)
        if self._atomic() and is_main_process() and osp.isdir(self.out_dir):
            for stale in glob.glob(osp.join(glob.escape(self.out_dir), f'.*{TMP_MARK}*')):  # left by a killed save
                self._remove(runner, stale, 'temporary', quiet=True)

    def _check_best_paths(self, runner) -> None:
        """Forget a resumed best-checkpoint path that is not a string (it could not name a file)."""
        if len(self.key_indicators) == 1:
            if self.best_ckpt_path is not None and not isinstance(self.best_ckpt_path, str):
                runner.logger.warning(f'the resumed best checkpoint {str(self.best_ckpt_path)[:100]!r} is not a path: '
                                      'ignored')
                self.best_ckpt_path = None
            return
        for key, path in self.best_ckpt_path_dict.items():
            if path is not None and not isinstance(path, str):
                runner.logger.warning(f'the resumed best checkpoint for {key} {str(path)[:100]!r} is not a path: '
                                      'ignored')
                self.best_ckpt_path_dict[key] = None

    def _write(self, runner, filename: str, **kwargs) -> None:
        """``runner.save_checkpoint`` into a temporary name, then renamed to ``filename``."""
        if not self._atomic():
            runner.save_checkpoint(self.out_dir, filename, self.file_client_args,
                                   backend_args=self.backend_args, **kwargs)
            return
        tmp = f'.{filename}{TMP_MARK}{os.getpid()}'
        runner.save_checkpoint(self.out_dir, tmp, self.file_client_args, backend_args=self.backend_args, **kwargs)
        if is_main_process():
            replace_atomically(osp.join(self.out_dir, tmp), osp.join(self.out_dir, filename))

    def _why_kept(self, path, kind: str) -> Optional[str]:
        """Why ``path`` must not be removed as a ``kind`` file of this hook, or None.

        It must be a regular file directly in ``out_dir`` named as this hook names a ``kind`` file
        ('periodic', 'best' or 'temporary'): never a directory, a symlink or anything elsewhere.
        """
        if not isinstance(path, str) or not path:
            return f'{str(path)[:100]!r} is not a path'
        name = osp.basename(path) if self._atomic() else path.rstrip('/').rsplit('/', 1)[-1]
        if not self._own_names[kind].match(name):
            return f'{path} is not named as the {kind} checkpoints this hook writes'
        if not self._atomic():
            if path != self.file_backend.join_path(self.out_dir, name):
                return f'{path} lies outside this run\'s directory {self.out_dir}'
            return None if self.file_backend.isfile(path) else f'{path} is not a file'
        if osp.realpath(osp.dirname(osp.abspath(path))) != osp.realpath(self.out_dir):
            return f'{path} lies outside this run\'s directory {self.out_dir}'
        try:
            mode = os.lstat(osp.join(self.out_dir, name)).st_mode
        except FileNotFoundError:
            return ''  # nothing to remove
        if not stat.S_ISREG(mode):
            return f'{path} is not a regular file (a directory or a link)'
        return None

    def _remove(self, runner, path, kind: str, quiet: bool = False) -> None:
        """Remove ``path`` if it is a ``kind`` file this hook could have written in ``out_dir``."""
        if path is None or not is_main_process():
            return
        why = self._why_kept(path, kind)
        if why is None:
            try:
                if self._atomic():
                    os.remove(osp.join(self.out_dir, osp.basename(path)))
                else:
                    self.file_backend.remove(path)
            except FileNotFoundError:
                pass
            except OSError as error:  # an old checkpoint left behind costs disk space, not the run
                runner.logger.warning(f'could not remove the old checkpoint {path}: {error}')
        elif why and not quiet:
            runner.logger.warning(f'{why}: kept (this hook removes only the checkpoints it writes)')

    def _save_checkpoint_with_step(self, runner, step, meta):
        outdated = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._write(runner, ckpt_filename, save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler, meta=meta, by_epoch=self.by_epoch, **self.args)
        if not is_main_process():
            return
        write_text_atomically(self.last_ckpt, osp.join(runner.work_dir, 'last_checkpoint'))
        if outdated is not None and outdated != step:  # only now that its successor is complete
            self._remove(runner, self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(outdated)),
                         'periodic')

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best:
            return
        if self.by_epoch:
            ckpt_filename = self.filename_tmpl.format(runner.epoch)
            cur_type, cur_time = 'epoch', runner.epoch
        else:
            ckpt_filename = self.filename_tmpl.format(runner.iter)
            cur_type, cur_time = 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])

        best_ckpt_updated = False
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            key_score = metrics[key_indicator]
            single = len(self.key_indicators) == 1
            best_score_key = 'best_score' if single else f'best_score_{key_indicator}'
            runtime_best_ckpt_key = 'best_ckpt' if single else f'best_ckpt_{key_indicator}'
            previous = self.best_ckpt_path if single else self.best_ckpt_path_dict[key_indicator]
            best_score = runner.message_hub.get_info(best_score_key, self.init_value_map[rule])
            if key_score is None or not self.is_better_than[key_indicator](key_score, best_score):
                continue
            best_ckpt_updated = True
            runner.message_hub.update_info(best_score_key, key_score)
            best_ckpt_name = f'best_{key_indicator}_{ckpt_filename}'.replace('/', '_')
            path = self.file_backend.join_path(self.out_dir, best_ckpt_name)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key_indicator] = path
            runner.message_hub.update_info(runtime_best_ckpt_key, path)
            self._write(runner, best_ckpt_name, save_optimizer=False, save_param_scheduler=False, meta=meta,
                        by_epoch=False)
            runner.logger.info(f'The best checkpoint with {key_score:0.4f} {key_indicator} '
                               f'at {cur_time} {cur_type} is saved to {best_ckpt_name}.')
            if previous and previous != path:
                self._remove(runner, previous, 'best')
        # as mmengine does: save the periodic checkpoint again so that it records the new best
        if best_ckpt_updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)


def use_atomic_checkpoints(cfg) -> bool:
    """Swap mmengine's ``CheckpointHook`` in ``cfg.default_hooks`` for :class:`AtomicCheckpointHook`."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint')
    if hook is not None and hook.get('type') in ('CheckpointHook', 'mmengine.CheckpointHook', CheckpointHook):
        hook['type'] = 'mmengine.AtomicCheckpointHook'
        return True
    return False


def _candidates(work_dir: str) -> List[str]:
    """``epoch_N.pth`` / ``iter_N.pth`` in ``work_dir``, newest (largest N) first."""
    found = []
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = RESUMABLE.match(name)
        if match:
            found.append((match.group(1) == 'iter', int(match.group(2)), osp.join(work_dir, name)))
    return [path for _, _, path in sorted(found, reverse=True)]


def _log(message: str) -> None:
    print_log(message, logger='current')


def why_not_resumable(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None: :func:`verify_checkpoint`, with any error it
    raises (a text file under a checkpoint's name makes torch's unpickler raise ``IndexError``) turned
    into a reason, so that one bad candidate never stops the search for a good one.

    Args:
        path (str): a candidate checkpoint.
    """
    try:
        return verify_checkpoint(path)
    except Exception as error:  # any failure of this candidate: skip it, saying why
        detail = ' '.join(str(error).split())[:200]
        return f'{path} is not a readable checkpoint ({type(error).__name__}: {detail})'


def _read_pointer(pointer: str, say: Callable[[str], None]) -> Optional[str]:
    """The path ``last_checkpoint`` names, or None when it is empty or cannot be one."""
    try:
        with open(pointer, 'rb') as f:
            text = f.read(4097).decode('utf-8').strip()
    except (OSError, UnicodeDecodeError) as error:
        say(f'{pointer} cannot be read as a path ({type(error).__name__}): looking for checkpoints beside it')
        return None
    if not text:
        say(f'{pointer} is empty (a save was cut off): looking for checkpoints beside it')
        return None
    if len(text) > 4096 or '\n' in text or '\0' in text:
        say(f'{pointer} does not hold one path: looking for checkpoints beside it')
        return None
    return text


def find_resumable_checkpoint(work_dir: str, say: Callable[[str], None] = _log) -> Optional[str]:
    """The checkpoint that resuming ``work_dir`` should start from, or None when it has none.

    The file named in ``work_dir/last_checkpoint`` comes first; if it is missing, empty or does not
    read completely (for whatever reason: :func:`why_not_resumable`), the newest
    ``epoch_*.pth``/``iter_*.pth`` that does. Each skipped file is named with its reason.

    Args:
        work_dir (str): the run's directory.
        say (callable): where the messages about skipped files go. Defaults to mmengine's current logger.

    Raises:
        CheckpointError: checkpoints exist but none of them reads completely.
    """
    named = None
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        named = _read_pointer(pointer, say)
    order = ([named] if named else []) + [p for p in _candidates(work_dir) if not named or
                                          osp.realpath(p) != osp.realpath(named)]
    skipped = []
    for path in order:
        reason = why_not_resumable(path)
        if reason is None:
            if skipped:
                say('skipped ' + '; '.join(skipped) + f': resuming from {path}')
            return path
        skipped.append(reason)
    if skipped:
        raise CheckpointError(f'no checkpoint in {work_dir} can be resumed from: ' + '; '.join(skipped) +
                              '. Start again without --resume (or with --resume PATH to a good checkpoint)')
    return None


def check_resume_path(path: str, work_dir: Optional[str] = None) -> None:
    """Refuse an explicit ``--resume PATH`` that does not read completely, naming good ones beside it."""
    reason = why_not_resumable(path)
    if reason is None:
        return
    folders = {osp.dirname(osp.abspath(path))} | ({osp.abspath(work_dir)} if work_dir else set())
    good = [p for folder in sorted(folders) for p in _candidates(folder)
            if osp.realpath(p) != osp.realpath(path) and why_not_resumable(p) is None]
    hint = f'; readable checkpoints: {", ".join(good[:3])}' if good else ''
    raise CheckpointError(f'cannot resume: {reason}{hint}')


# torch's message for a tensor whose shape differs (torch.nn.Module._load_from_state_dict)
SIZE_MISMATCH = re.compile(r'size mismatch for (\S+): copying a param with shape torch\.Size\(\[(.*?)\]\) from '
                           r'checkpoint, the shape in current model is torch\.Size\(\[(.*?)\]\)')


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Stop when a loaded checkpoint does not hold exactly the model's weights (names and shapes).

    mmengine loads ``load_from`` non-strictly and only warns about missing keys, so evaluating a
    checkpoint of another head type prints the accuracy of a randomly initialised head. This hook
    runs on ``after_load_checkpoint``, before any weight is copied.
    """

    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # a test-time-augmentation model loads into the model it wraps, as mmengine's load_state_dict does
        wrapped = is_model_wrapper(runner.model) or isinstance(runner.model, BaseTTAModel)
        model = runner.model.module if wrapped else runner.model
        state = checkpoint.get('state_dict', checkpoint)
        source = runner.cfg.get('load_from') or 'the checkpoint'
        check_weights_match(model, state, source)


def _shape(sizes: str) -> tuple:
    return tuple(int(size) for size in sizes.split(',') if size.strip())


TRAINED_ELSEWHERE = ('It was trained with another head or config: evaluate it with the config it was trained with '
                     '(its meta holds that config\'s text)')


def check_weights_match(model: torch.nn.Module, state: dict, source: str = 'the checkpoint',
                        advice: str = TRAINED_ELSEWHERE) -> None:
    """Raise when ``state`` lacks weights ``model`` needs, holds weights it has not, or other shapes.

    The state is loaded, strictly, into a CPU copy of the model, so each module's own loading rules count
    (a GCR head reading its authors' ``fc.weight``, a fixed classifier's basis checks, keys that
    mmebv 0.1 did not save): what is reported is what would be missing or left over after them.

    Args:
        model (nn.Module): the model the config builds.
        state (dict): the checkpoint's state dict ('module.' prefixes of wrapped models are ignored).
        source (str): how to name the checkpoint in the message. Defaults to 'the checkpoint'.
        advice (str): the fix the message ends with. Defaults to evaluating with the training config.
    """
    state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
    # a copy on the CPU: the model may already fill the accelerator's memory
    memo = {}
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        copied = tensor.detach().to('cpu', copy=True)
        memo[id(tensor)] = torch.nn.Parameter(copied, tensor.requires_grad) \
            if isinstance(tensor, torch.nn.Parameter) else copied
    probe = copy.deepcopy(model, memo)
    missing, unexpected, errors = [], [], []

    def load(module: torch.nn.Module, prefix: str = '') -> None:  # torch's load_state_dict, all errors kept
        module._load_from_state_dict(state, prefix, {}, True, missing, unexpected, errors)
        for name, child in module._modules.items():
            if child is not None:
                load(child, prefix + name + '.')

    load(probe)
    missing = sorted(k for k in missing if not k.endswith('num_batches_tracked'))
    unexpected = sorted(k for k in unexpected if not k.endswith('num_batches_tracked'))
    shapes = [f'{m.group(1)} {_shape(m.group(2))} vs {_shape(m.group(3))}' for m in map(SIZE_MISMATCH.search, errors)
              if m]
    others = [error for error in errors if not SIZE_MISMATCH.search(error)]
    if not (missing or unexpected or shapes or others):
        return
    parts = []
    if missing:
        parts.append(f'it lacks {len(missing)} weights the model needs ({", ".join(missing[:4])}'
                     f'{", ..." if len(missing) > 4 else ""})')
    if unexpected:
        parts.append(f'it holds {len(unexpected)} the model does not have ({", ".join(unexpected[:4])}'
                     f'{", ..." if len(unexpected) > 4 else ""})')
    if shapes:
        parts.append('shapes differ for ' + ', '.join(shapes[:3]))
    parts.extend(others[:2])
    raise CheckpointError(f'{source} does not fit the model this config builds: ' + '; '.join(parts) + '. ' + advice)
