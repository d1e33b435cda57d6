"""Input checks that every classifier and head shares, read on the host without stalling a GPU.

Reading a GPU tensor on the host (``.item()``, ``bool(t)``, ``if t.any():``) waits for every queued
kernel: once per training step, that is a synchronisation per step. :class:`DeferredChecks` keeps
each verdict (a boolean scalar) on the tensor's device, ORs it with the pending one, and reads it
only every ``interval`` updates, and whenever the owning module's ``state_dict()`` is taken (so no
checkpoint is written from a run that has already failed). On the CPU reading costs nothing, so the
verdict is read at once by default.
"""
import math
from typing import Dict, Optional

import torch
import torch.nn as nn

# Updates between two host reads of a verdict that lives on an accelerator.
DEVICE_INTERVAL = 50


def check_feature_size(x: torch.Tensor, expected: int, dim: int, owner: str) -> None:
    """Raise ``ValueError`` naming ``in_channels`` when ``x.shape[dim]`` is not ``expected``.

    Args:
        x (Tensor): features, e.g. (B, C) or (B, C, H, W).
        expected (int): the configured feature size C.
        dim (int): the dim of ``x`` that holds the features.
        owner (str): the module's name, for the message.
    """
    got = x.shape[dim] if -x.dim() <= dim < x.dim() else None
    if got != expected:
        raise ValueError(f'{owner} expects features of size {expected} in dim {dim}, got shape '
                         f'{tuple(x.shape)}: set in_channels to {got}, the size of the features that '
                         f'reach the head')


class DeferredChecks:
    """Boolean verdicts computed on the device and read on the host only now and then.

    Args:
        interval (int, optional): updates of one verdict between two host reads. Defaults to None:
            1 for CPU tensors (read at once), :data:`DEVICE_INTERVAL` for any other device.

    Example:
        >>> checks = DeferredChecks()
        >>> checks.expect('features', ~torch.isfinite(x).all(), FloatingPointError, 'non-finite features')
    """

    def __init__(self, interval: Optional[int] = None) -> None:
        self.interval = interval
        self._pending: Dict[str, list] = {}  # key -> [failed, error type, message, details, updates]

    def expect(self, key: str, failed: torch.Tensor, error: type, message: str, *details: torch.Tensor) -> None:
        """Record that ``failed`` (a bool scalar tensor) must be False.

        Args:
            key (str): names the verdict; updates of one key are ORed together.
            failed (Tensor): bool scalar, True when the check failed.
            error (type): the exception to raise.
            message (str): its message; ``{0}``, ``{1}``, ... are filled with ``details``' values
                from the last failing update.
            *details (Tensor): scalars the message reports.
        """
        entry = self._pending.get(key)
        if entry is None:
            entry = self._pending[key] = [failed, error, message, details, 0]
        else:
            entry[3] = tuple(torch.where(failed, new, old) for new, old in zip(details, entry[3]))
            entry[0] = entry[0] | failed
        entry[4] += 1
        interval = self.interval or (1 if failed.device.type == 'cpu' else DEVICE_INTERVAL)
        if entry[4] >= interval:
            self.read(key)

    def read(self, key: Optional[str] = None) -> None:
        """Read the pending verdict of ``key`` (all of them when None) and raise the first failure."""
        for name in [key] if key is not None else list(self._pending):
            entry = self._pending.pop(name, None)
            if entry is not None and bool(entry[0]):
                failed, error, message, details, _ = entry
                raise error(message.format(*(d.item() for d in details)))


def read_checks_before_saving(module: nn.Module, *args) -> None:
    """A ``state_dict`` hook: a module whose pending checks failed raises instead of being saved."""
    module.checks.read()


def attach_checks(module: nn.Module, interval: Optional[int] = None) -> DeferredChecks:
    """Give ``module`` a ``checks`` attribute that is read whenever its state dict is taken."""
    module.checks = DeferredChecks(interval)
    module._register_state_dict_hook(read_checks_before_saving)
    return module.checks


def expect_finite(checks: DeferredChecks, key: str, x: torch.Tensor, what: str) -> None:
    """Record that every value of ``x`` is finite; a failure raises ``FloatingPointError``."""
    checks.expect(key, ~torch.isfinite(x).all(), FloatingPointError,
                  f'non-finite (NaN or inf) {what}: the network diverged upstream; lower the learning '
                  f'rate, enable gradient clipping (optim_wrapper.clip_grad), or check the input data')


def expect_labels_in_range(checks: DeferredChecks, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Record that ``labels`` lie in [0, num_classes - 1]; return them clamped to that range.

    Until a deferred read raises, the clamped labels keep the loss computable (an out-of-range
    label would otherwise fail inside the loss, on a GPU as a device-side assertion).
    """
    if labels.numel() == 0:
        return labels
    low, high = labels.min(), labels.max()
    checks.expect('labels', (low < 0) | (high >= num_classes), ValueError,
                  f'labels must lie in [0, {num_classes - 1}] but range over [{{0}}, {{1}}]: set the '
                  f'head\'s num_classes to the dataset\'s class count', low, high)
    return labels.clamp(0, num_classes - 1)


def check_count(owner: str, name: str, value, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``; a bool, a string, a float or a smaller number is refused
    with a ``ValueError`` naming the argument, the value and the valid range."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f'{owner}: {name}={value!r} must be an integer >= {minimum}')
    return value


def check_real(owner: str, name: str, value, minimum: Optional[float] = None, above: Optional[float] = None,
               maximum: Optional[float] = None) -> float:
    """``value`` as a finite float in the range given (``minimum`` <= value, ``above`` < value,
    value <= ``maximum``); anything else (a bool, a string, NaN, inf, out of range) is refused with a
    ``ValueError`` naming the argument, the value and the valid range."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    ok = ok and (minimum is None or value >= minimum) and (above is None or value > above) and \
        (maximum is None or value <= maximum)
    if not ok:
        bounds = [f'>= {minimum}' if minimum is not None else '', f'> {above}' if above is not None else '',
                  f'<= {maximum}' if maximum is not None else '']
        valid = ' and '.join(b for b in bounds if b) or 'finite'
        raise ValueError(f'{owner}: {name}={value!r} must be a finite number {valid}'.replace('number finite',
                                                                                              'number'))
    return float(value)
