import sys
import time
from typing import Optional, TextIO

from mmengine.hooks import Hook, LoggerHook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """A one-line progress bar for each training epoch and each validation/test pass.

    It draws only on a terminal (log files and CI logs keep mmengine's plain lines, which carry the
    ETA), and clears itself just before mmengine's logger prints, so the two never share a line.

    Args:
        width (int): bar width in characters. Defaults to 30.
        stream (TextIO, optional): where to draw. Defaults to ``sys.stdout``.
        force (bool): draw even when ``stream`` is not a terminal. Defaults to False.
    """

    priority = 'NORMAL'  # before LoggerHook (BELOW_NORMAL), so the bar is cleared first

    def __init__(self, width: int = 30, stream: Optional[TextIO] = None, force: bool = False) -> None:
        self.width, self.stream, self.force = width, stream, force
        self._start = 0.0

    def _enabled(self) -> bool:
        stream = self.stream or sys.stdout
        return self.force or (hasattr(stream, 'isatty') and stream.isatty())

    def _logger_prints(self, runner, batch_idx: int, total: int) -> bool:
        logger = next((h for h in runner.hooks if isinstance(h, LoggerHook)), None)
        return logger is not None and ((batch_idx + 1) % logger.interval == 0 or batch_idx + 1 == total)

    def _draw(self, runner, mode: str, batch_idx: int, total: int) -> None:
        if not self._enabled():
            return
        stream = self.stream or sys.stdout
        if self._logger_prints(runner, batch_idx, total):
            self._clear()
        else:
            done = batch_idx + 1
            filled = self.width * done // max(total, 1)
            elapsed = time.perf_counter() - self._start
            eta = elapsed / done * (total - done)
            epoch = f' epoch {runner.epoch + 1}' if mode == 'train' else ''
            stream.write(f'\r{mode}{epoch} [{"#" * filled}{"." * (self.width - filled)}] '
                         f'{done}/{total} {done / elapsed:.1f} it/s eta {eta:.0f}s\033[K')
            stream.flush()

    def _clear(self, runner=None, metrics=None) -> None:
        if self._enabled():
            (self.stream or sys.stdout).write('\r\033[K')
            (self.stream or sys.stdout).flush()

    after_val_epoch = after_test_epoch = _clear

    def before_train_epoch(self, runner) -> None:
        self._start = time.perf_counter()

    def before_val_epoch(self, runner) -> None:
        self._start = time.perf_counter()

    def before_test_epoch(self, runner) -> None:
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._draw(runner, 'train', batch_idx, len(runner.train_dataloader))

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._draw(runner, 'val', batch_idx, len(runner.val_dataloader))

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._draw(runner, 'test', batch_idx, len(runner.test_dataloader))
