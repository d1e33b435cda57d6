"""No code runs from a checkpoint: crafted files are refused by every tool that loads one, real ones load.

The crafted files use what a general-purpose ``getattr`` in the allow-list gives a pickle: the builtins
module (``getattr(getattr, '__self__')``), from there ``exec`` and ``__import__``, and a HistoryBuffer
whose state plants ``__reduce_ex__``, which ``copy.deepcopy`` (run by mmengine's MessageHub on resume)
calls and then calls what it returns.
"""
import copy
import copyreg

import numpy as np
import pytest
import torch
from helpers import run
from mmengine.logging import HistoryBuffer, MessageHub

from mmebv.engine.safe_loading import CheckpointError, load_checkpoint_file, mmengine_safe_globals

CONFIG = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
TINY = ['train_dataloader.dataset.indices=256', 'val_dataloader.dataset.indices=200',
        'test_dataloader.dataset.indices=200', 'train_cfg.max_epochs=1']


class Call:
    """Pickles as ``func(*args)`` (a REDUCE)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def builtins_module():
    return Call(getattr, getattr, '__self__')  # a builtin function's __self__ is its module


def builtin(name):
    return Call(getattr, builtins_module(), name)


def planted_history_buffer(code: str) -> HistoryBuffer:
    """A HistoryBuffer whose pickled state sets ``__reduce_ex__`` to ``[..., (exec, (code,))].__getitem__``:
    ``copy.deepcopy`` calls ``__reduce_ex__(4)`` and then ``exec(code)``."""
    buffer = HistoryBuffer([1.0], [1])
    table = [0, 0, 0, 0, (builtin('exec'), (code,))]
    state = dict(vars(buffer), __reduce_ex__=Call(getattr, table, '__getitem__'))
    buffer.__dict__['__reduce_ex__'] = lambda protocol: (copyreg.__newobj__, (HistoryBuffer,), state)
    return buffer


def extra_field() -> HistoryBuffer:
    """A HistoryBuffer whose state plants ``__reduce_ex__`` with a value safe loading can build."""
    buffer = HistoryBuffer([1.0], [1])
    state = dict(vars(buffer), __reduce_ex__=Call(getattr, HistoryBuffer, 'min'))
    buffer.__dict__['__reduce_ex__'] = lambda protocol: (copyreg.__newobj__, (HistoryBuffer,), state)
    return buffer


def plant(marker) -> str:
    return f'open({str(marker)!r}, "w").write("code ran")'


def test_a_plain_mmengine_checkpoint_loads_and_torch_load_is_not_widened(tmp_path):
    hub = MessageHub.get_instance('safe-loading-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('best_ckpt', '/somewhere/best.pth')
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(message_hub=hub.state_dict(), state_dict={'w': torch.ones(2)},
                    meta=dict(score=np.float64(0.5), ids=np.arange(3))), path)
    loaded = load_checkpoint_file(str(path))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.mean() == 0.5
    before = torch.serialization.get_safe_globals()
    with pytest.raises(Exception, match='Unsupported global'):  # the process's torch.load: unchanged
        torch.load(path, weights_only=True)
    assert torch.serialization.get_safe_globals() == before


@pytest.mark.parametrize('payload', [
    lambda code: builtins_module(),  # a module object
    lambda code: builtin('__import__'),
    lambda code: Call(exec, code),  # exec named directly
    lambda code: Call(getattr, HistoryBuffer, '__init__'),  # another attribute of an allowed type
    lambda code: Call(getattr, np.ndarray, 'tofile'),
    lambda code: planted_history_buffer(code),  # through copy.deepcopy / __reduce_ex__
    lambda code: extra_field(),
], ids=['module', 'import', 'exec', 'init', 'numpy-attr', 'deepcopy-reduce_ex', 'planted-field'])
def test_crafted_payloads_are_refused_and_nothing_runs(tmp_path, payload):
    marker = tmp_path / 'planted'
    path = tmp_path / 'crafted.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)}, message_hub=dict(runtime_info=dict(x=payload(plant(marker))))),
               path)
    with pytest.raises(CheckpointError, match='refused'):
        loaded = load_checkpoint_file(str(path))
        copy.deepcopy(loaded)  # what MessageHub.load_state_dict does on resume
    assert not marker.exists()


def test_a_crafted_statistics_table_does_not_outlive_the_load(tmp_path):
    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    buffer.__dict__['__reduce_ex__'] = lambda protocol: (
        copyreg.__newobj__, (HistoryBuffer,), dict(max_length=10, _log_history=np.array([1.0, 3.0]),
                                                   _count_history=np.array([1, 1]),
                                                   statistics_methods=dict(mean=Call(getattr, HistoryBuffer, 'max'))))
    torch.save(dict(hub=buffer), tmp_path / 'c.pth')
    loaded = load_checkpoint_file(str(tmp_path / 'c.pth'))['hub']
    assert loaded.mean() == 2.0  # not max: the loaded table was not kept
    with mmengine_safe_globals():
        pass
    assert HistoryBuffer._statistics_methods['mean'] is HistoryBuffer.mean


def test_truncated_and_empty_files_name_the_file(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={'w': torch.ones(100)}), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match=r'epoch_1\.pth is not a readable checkpoint \(truncated or corrupt'):
        load_checkpoint_file(str(path))
    path.write_bytes(b'')
    with pytest.raises(CheckpointError, match=r'epoch_1\.pth is empty'):
        load_checkpoint_file(str(path))


@pytest.fixture(scope='module')
def crafted(tmp_path_factory):
    """A real demo checkpoint (2 iterations) and a copy whose message hub carries the deepcopy payload."""
    folder = tmp_path_factory.mktemp('crafted')
    run(['tools/train.py', CONFIG, '--work-dir', str(folder / 'run'), '--cfg-options', *TINY])
    real = str(folder / 'run' / 'epoch_1.pth')
    checkpoint = load_checkpoint_file(real)
    marker = folder / 'planted'
    checkpoint['message_hub']['runtime_info']['note'] = planted_history_buffer(plant(marker))
    path = str(folder / 'crafted.pth')
    torch.save(checkpoint, path)
    return real, path, marker


@pytest.mark.e2e
@pytest.mark.parametrize('tool', ['train-resume', 'train-load_from', 'test', 'publish', 'geometry', 'cka', 'probe'])
def test_every_tool_refuses_the_crafted_checkpoint_and_runs_nothing(crafted, tool, tmp_path):
    real, path, marker = crafted
    commands = {
        'train-resume': ['tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--resume', path, '--cfg-options',
                         *TINY[:-1], 'train_cfg.max_epochs=2'],
        'train-load_from': ['tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--cfg-options', *TINY,
                            f'load_from={path}'],
        'test': ['tools/test.py', CONFIG, path, '--work-dir', str(tmp_path), '--cfg-options', *TINY],
        'publish': ['tools/model_converters/publish_model.py', path, str(tmp_path / 'out.pth')],
        'geometry': ['tools/analysis_tools/analyze_geometry.py', CONFIG, path, '--max-samples', '100',
                     '--out-dir', str(tmp_path)],
        'cka': ['tools/analysis_tools/cka.py', CONFIG, real, CONFIG, path, '--max-samples', '100'],
        'probe': ['tools/analysis_tools/linear_probe.py', CONFIG, path, '--probe-config', CONFIG,
                  '--train-samples', '100', '--test-samples', '100'],
    }
    log = run(commands[tool], check=False, timeout=600)
    assert 'refused' in log and 'HistoryBuffer' in log, log[-3000:]
    assert not marker.exists()
    assert 'Epoch(train)' not in log and 'accuracy/top1' not in log and 'published' not in log
