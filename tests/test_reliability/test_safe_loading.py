"""No code runs from a checkpoint: crafted files are refused by every tool that loads one, real ones load.

The crafted files use what a general-purpose ``getattr`` in the allow-list gives a pickle: the builtins
module (``getattr(getattr, '__self__')``), from there ``exec`` and ``__import__``, and a HistoryBuffer
whose state plants ``__reduce_ex__``, which ``copy.deepcopy`` (run by mmengine's MessageHub on resume)
calls and then calls what it returns.
"""
import collections
import copy
import copyreg
import re

import numpy as np
import pytest
import torch
from helpers import deflated_storage, loading_cost, run
from mmengine.logging import HistoryBuffer, MessageHub

from mmebv.engine.safe_loading import CheckpointError, load_checkpoint_file, mmengine_safe_globals, verify_checkpoint
from mmebv.utils.bounded_loading import LOAD_BUDGET_MIB, LOAD_BUDGET_SECONDS

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


# --- hostile structures: refused within the loading budget (mmebv.utils.bounded_loading) ---

def shared_nested_lists(depth: int) -> list:
    """``L = [L, L]`` ``depth`` times: ``depth + 1`` lists, 2^depth paths through them."""
    nested = []
    for _ in range(depth):
        nested = [nested, nested]
    return nested


def assert_refused_within_budget(path, match):
    """load_checkpoint_file raises CheckpointError matching ``match``, and verify_checkpoint says so,
    each within the budget."""
    for load in (lambda: load_checkpoint_file(str(path)), lambda: verify_checkpoint(str(path))):
        outcome, seconds, mib = loading_cost(load, LOAD_BUDGET_SECONDS)
        said = str(outcome) if isinstance(outcome, (BaseException, str)) else f'loaded a {type(outcome).__name__}'
        assert isinstance(outcome, (CheckpointError, str)) and re.search(match, said), said[:500]
        assert seconds < LOAD_BUDGET_SECONDS and mib < LOAD_BUDGET_MIB, (seconds, mib)


def test_objects_shared_along_2_to_the_60_paths_are_refused_at_once(tmp_path):
    path = tmp_path / 'nested.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta=dict(x=shared_nested_lists(60))), path)
    assert path.stat().st_size < 4096
    assert_refused_within_budget(path, 'expand to more than .* walked as a tree')
    shared = [1, 2]  # a few shared objects are fine
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta=dict(x=[shared] * 3, y=shared_nested_lists(8))), path)
    assert load_checkpoint_file(str(path))['meta']['x'][2] == [1, 2] and verify_checkpoint(str(path)) is None


def test_a_cycle_is_refused(tmp_path):
    cycle = [1]
    cycle.append(cycle)
    torch.save(dict(state_dict={}, meta=dict(x=cycle)), tmp_path / 'cycle.pth')
    assert_refused_within_budget(tmp_path / 'cycle.pth', 'holds a cycle')


def test_a_compressed_storage_record_is_refused_before_it_is_inflated(tmp_path):
    path = tmp_path / 'bomb.pth'
    torch.save(dict(state_dict={'w': torch.zeros(4)}), tmp_path / 'real.pth')
    deflated_storage(str(tmp_path / 'real.pth'), str(path), 256 << 20)  # 256 MiB in about 250 KB
    assert path.stat().st_size < 1 << 20
    assert_refused_within_budget(path, r'record .*data/0 is compressed \(method 8\)')


def test_a_tensor_repeating_its_storage_is_refused(tmp_path):
    torch.save(dict(state_dict={'w': torch.zeros(1).expand(10**8)}), tmp_path / 'view.pth')  # 400 MB in 1 KB
    assert_refused_within_budget(tmp_path / 'view.pth', 'claims 400000000 bytes, more than the file holds')


@pytest.mark.parametrize('where', ['tensor-dict', 'ordereddict-dict', 'dtype-metadata'])
def test_a_history_buffer_hidden_in_an_attribute_or_dtype_is_checked(tmp_path, where):
    """Places the field check did not look: a tensor's or an OrderedDict's ``__dict__`` and the
    metadata of a numpy array's dtype."""
    planted = extra_field()
    if where == 'tensor-dict':
        hidden = torch.ones(2)
        hidden.note = planted
    elif where == 'ordereddict-dict':
        hidden = collections.OrderedDict(a=1)
        hidden.note = planted
    else:
        hidden = np.zeros(2, dtype=np.dtype('f8', metadata=dict(note=planted)))
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta=dict(x=hidden)), tmp_path / 'hidden.pth')
    assert_refused_within_budget(tmp_path / 'hidden.pth', 'a HistoryBuffer in it carries fields')


def test_a_dunder_attribute_on_a_loaded_tensor_is_refused(tmp_path):
    """``copy.deepcopy`` looks ``__deepcopy__`` up on the instance first."""
    hidden = torch.ones(2)
    hidden.__dict__['__deepcopy__'] = HistoryBuffer  # a callable safe loading can build
    torch.save(dict(state_dict={'w': hidden}), tmp_path / 'dunder.pth')
    assert_refused_within_budget(tmp_path / 'dunder.pth', "carries the attribute '__deepcopy__'")


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
