"""Every loader, fed mutated real files: it loads them or raises its documented error, within the
loading budget (``mmebv.utils.bounded_loading``), runs no code and writes nothing.

Seeds are real files written here: a Runner-style checkpoint of a tiny model (zip and torch's legacy
format), a basis file (``save_basis``) and one of the EBV authors' basis pickles. Mutations act on
bytes, on zip records (content, compression) and on pickle opcodes (deleted, repeated, or hostile
ones inserted: memo and size claims, BUILD, object-building opcodes, payloads that would create a
marker file). Hypothesis runs derandomized, so a CI run is reproducible; a longer run:

    MMEBV_FUZZ_EXAMPLES=5000 python -m pytest tests/test_reliability/test_fuzz_loaders.py
"""
import atexit
import collections
import functools
import hashlib
import io
import os
import os.path as osp
import pickletools
import shutil
import sys
import tempfile
import zipfile

import numpy as np
import pytest
import torch
from helpers import deflated_storage, loading_cost, tool_module, write_official_basis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from mmengine.logging import MessageHub

from mmebv.ebv import BasisFileError, generate_ebv, inspect_basis_file, load_basis, save_basis
from mmebv.engine.safe_loading import (CheckpointError, load_checkpoint_file, use_safe_loading_in_mmengine,
                                       verify_checkpoint)
from mmebv.utils.bounded_loading import LOAD_BUDGET_FILE_MIB, LOAD_BUDGET_MIB, LOAD_BUDGET_SECONDS

EXAMPLES = int(os.environ.get('MMEBV_FUZZ_EXAMPLES', 30))  # per seed kind: about 10 s in all on 2 cores
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
official = tool_module('ebv_official_pickle')
FOLDER = tempfile.mkdtemp(prefix='mmebv-fuzz-')  # every file of this module, and the marker
atexit.register(shutil.rmtree, FOLDER, True)
set_hypothesis_home_dir(osp.join(FOLDER, 'hypothesis'))  # its caches, not a .hypothesis folder in the checkout
MARKER = osp.join(FOLDER, 'code-ran')


# --- what a loader did besides loading: Python's audit events while it runs ---

EVENTS = []
WATCHING = [False]
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
SIDE_EFFECTS = ('os.remove', 'os.rename', 'os.rmdir', 'os.mkdir', 'os.truncate', 'os.chmod', 'os.symlink',
                'os.link', 'shutil.rmtree', 'shutil.move', 'os.system', 'subprocess.Popen', 'os.exec', 'os.posix_spawn',
                'os.spawn', 'os.fork', 'os.kill', 'socket.connect', 'ctypes.dlopen')


def audit(event: str, args: tuple) -> None:
    """Records writes, removals, processes and code from the file's payloads while WATCHING."""
    if not WATCHING[0]:
        return
    if event == 'open':
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in 'wax+')) or (flags or 0) & WRITE_FLAGS:
            EVENTS.append(f'open {path!r} mode {mode!r} flags {flags}')
    elif event in SIDE_EFFECTS:
        EVENTS.append(f'{event} {str(args)[:120]}')
    elif event in ('exec', 'compile'):  # libraries compile code of their own lazily (namedtuple): only the file's
        source = args[0].co_consts if event == 'exec' and hasattr(args[0], 'co_consts') else args[0]
        if MARKER in str(source):
            EVENTS.append(f'{event} of code from the file: {str(source)[:120]}')


sys.addaudithook(audit)


def watched(load):
    """``load`` run with its side effects recorded."""
    def run():
        WATCHING[0] = True
        try:
            return load()
        finally:
            WATCHING[0] = False
    return run


# --- seeds: real files ---

def runner_checkpoint() -> dict:
    """What mmengine's Runner saves for a tiny model after one step: meta, state dict, optimizer,
    message hub (HistoryBuffers, numpy values), schedulers."""
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))).sum().backward()
    optimizer.step()
    hub = MessageHub.get_instance('mmebv-fuzz')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('best_score', np.float64(0.7))
    return dict(meta=dict(epoch=1, iter=2, seed=0, mmengine_version='0.10.7', dataset_meta=dict(classes=('a', 'b'))),
                state_dict=collections.OrderedDict(model.state_dict()), optimizer=optimizer.state_dict(),
                message_hub=hub.state_dict(), param_schedulers=[dict(base_lrs=[0.1], last_epoch=1)])


def seed_files() -> dict:
    """kind -> bytes of a real file of that kind."""
    seeds = {}
    path = osp.join(FOLDER, 'seed')
    torch.save(runner_checkpoint(), path)
    seeds['checkpoint'] = open(path, 'rb').read()
    torch.save(runner_checkpoint(), path, _use_new_zipfile_serialization=False)
    seeds['legacy-checkpoint'] = open(path, 'rb').read()
    save_basis(path, generate_ebv(10, 8, seed=0), seed=0, method='auto')
    seeds['basis'] = open(path, 'rb').read()
    write_official_basis(path, generate_ebv(10, 8, seed=0))
    seeds['authors-pickle'] = open(path, 'rb').read()
    os.remove(path)
    return seeds


SEEDS = seed_files()


# --- mutations ---

def payloads() -> list:
    """Pickle snippets that would leave MARKER behind if anything ran them."""
    text = MARKER.encode()
    return [b'cbuiltins\nopen\n(V' + text + b'\nVw\ntR',
            b'cposix\nsystem\n(Vtouch ' + text + b'\ntR',
            b'cbuiltins\nexec\n(Vopen(' + repr(MARKER).encode() + b', "w")\ntR',
            b'cbuiltins\ngetattr\n(cbuiltins\ngetattr\nV__self__\ntR',
            b'\x8c\x08builtins\x8c\x04eval\x93(Vopen(' + repr(MARKER).encode() + b', "w")\ntR']


# hostile opcodes: memo and size claims, BUILD, object building, out-of-band buffers, globals
HOSTILE = [b'b', b'r\xff\xff\xff\x7f', b'j\xff\xff\xff\x7f', b'r\x00\x00\x00\x01', b'h\x00', b'\x94', b'2', b'0',
           b'(', b'e', b'u', b']', b'}', b')', b't', b'R', b'\x81', b'\x92', b'o', b'N', b'K\x00',
           b'J\xff\xff\xff\x7f', b'\x8e' + (1 << 40).to_bytes(8, 'little'), b'B\x00\x00\x00\x80',
           b'\x95' + (1 << 40).to_bytes(8, 'little'), b'\x8b\x00\x00\x10\x00', b'\x97', b'\x98', b'Q',
           b'ctorch._utils\n_rebuild_tensor_v2\n', b'ccollections\nOrderedDict\n', b'cnumpy\ndtype\n',
           b'cmmengine.logging.history_buffer\nHistoryBuffer\n', b'cbuiltins\ngetattr\n', b'ctorch\nFloatStorage\n',
           b'(K\x00J\x00\x00\x00\x10\x85K\x01\x85t', b'}(V__reduce_ex__\nK\x01ub']
BOMB_MIB = LOAD_BUDGET_MIB + 64  # a storage record that inflates past the memory budget


@functools.lru_cache(maxsize=None)
def deflate_bomb(data: bytes) -> bytes:
    """The torch zip file ``data`` with its first storage record replaced by BOMB_MIB of zeros,
    deflated (made once per seed: about a second)."""
    source, bomb = osp.join(FOLDER, 'bomb-source'), osp.join(FOLDER, 'bomb')
    with open(source, 'wb') as f:
        f.write(data)
    deflated_storage(source, bomb, BOMB_MIB << 20)
    with open(bomb, 'rb') as f:
        return f.read()


def opcode_segments(data: bytes) -> list:
    """The pickle at the start of ``data`` cut into its opcodes (with their arguments), FRAMEs left
    out (a pickle needs none), then the rest of ``data``; or None when it does not parse."""
    try:
        positions = [pos for _, _, pos in pickletools.genops(io.BytesIO(data))]
    except Exception:
        return None
    end = data.index(b'.', positions[-1]) + 1
    cuts = positions + [end]
    segments = [data[a:b] for a, b in zip(cuts, cuts[1:]) if data[a:a + 1] != b'\x95']
    return segments + ([data[end:]] if end < len(data) else [])


@st.composite
def mutated_pickle(draw, data: bytes) -> bytes:
    """``data`` with one to three opcodes deleted, repeated, or inserted from HOSTILE and payloads()."""
    segments = opcode_segments(data)
    if not segments:
        return draw(mutated_bytes(data))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(segments) - 1))
        action = draw(st.sampled_from(['delete', 'repeat', 'insert', 'insert', 'payload', 'payload', 'argument']))
        if action == 'delete' and len(segments) > 1:
            del segments[where]
        elif action == 'repeat':
            segments.insert(where, segments[where])
        elif action == 'insert':
            segments.insert(where, draw(st.sampled_from(HOSTILE)))
        elif action == 'payload':
            segments.insert(where, draw(st.sampled_from(payloads())))
        elif action == 'argument' and len(segments[where]) > 1:  # same opcode, other argument bytes
            segment = segments[where]
            segments[where] = segment[:1] + draw(st.binary(min_size=len(segment) - 1, max_size=len(segment) - 1))
    return b''.join(segments)


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """``data`` with one to four bytes flipped, inserted or deleted, or cut short."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(['flip', 'insert', 'delete', 'cut']))
        if action == 'flip' and data:
            data[where] ^= draw(st.integers(1, 255))
        elif action == 'insert':
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == 'delete' and data:
            del data[where]
        elif action == 'cut':
            del data[where:]
    return bytes(data)


@st.composite
def mutated_zip(draw, data: bytes) -> bytes:
    """A torch zip file with one record's pickle or bytes mutated, or one record deflated (some
    padded to tens of MiB first): written back as a valid zip archive with correct CRCs; or a zip
    bomb made from it (:func:`deflate_bomb`), as it is or with bytes mutated."""
    if draw(st.integers(0, 9)) == 0:
        bomb = deflate_bomb(data)
        return bomb if draw(st.booleans()) else draw(mutated_bytes(bomb))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        records = [(info.filename, archive.read(info)) for info in archive.infolist()]
    action = draw(st.sampled_from(['pickle', 'pickle', 'bytes', 'deflate']))
    pickles = [i for i, (name, _) in enumerate(records) if name.endswith('.pkl')]
    index = pickles[0] if action == 'pickle' else draw(st.integers(0, len(records) - 1))
    name, content = records[index]
    deflated = None
    if action == 'pickle':
        records[index] = name, draw(mutated_pickle(content))
    elif action == 'deflate':
        deflated = name
        records[index] = name, content + bytes(draw(st.sampled_from([0, 1 << 10, 32 << 20])))
    else:
        records[index] = name, draw(mutated_bytes(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w') as archive:
        for record, content in records:
            archive.writestr(record, content,
                             compress_type=zipfile.ZIP_DEFLATED if record == deflated else zipfile.ZIP_STORED)
    return out.getvalue()


class Blob:
    """A mutated file, shown by its size and hash (a falsifying example can be a zip bomb)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f'<{len(self.data)} bytes, sha256 {hashlib.sha256(self.data).hexdigest()[:16]}>'


def mutations(kind: str):
    data = SEEDS[kind]
    if data[:4] == b'PK\x03\x04':
        return st.one_of(mutated_zip(data), mutated_bytes(data)).map(Blob)
    return st.one_of(mutated_pickle(data), mutated_bytes(data)).map(Blob)


# --- the property ---

def check_loader(name: str, load, documented) -> None:
    """``load()`` returns or raises ``documented``, within the budget, with no side effect."""
    EVENTS.clear()
    outcome, seconds, mib = loading_cost(watched(load), LOAD_BUDGET_SECONDS)
    if isinstance(outcome, BaseException) and not isinstance(outcome, documented):
        raise AssertionError(f'{name} raised {type(outcome).__name__}: {str(outcome)[:300]}') from outcome
    assert seconds < LOAD_BUDGET_SECONDS and mib < LOAD_BUDGET_MIB, f'{name}: {seconds:.2f} s, {mib} MiB'
    assert not EVENTS, f'{name}: {EVENTS[:5]}'
    assert not osp.exists(MARKER), f'{name} ran code from the file'


def check_every_loader(data: bytes) -> None:
    assert len(data) <= LOAD_BUDGET_FILE_MIB << 20  # the budget is stated for files of this size
    path = osp.join(FOLDER, 'fuzzed.pth')
    with open(path, 'wb') as f:
        f.write(data)
    from mmengine.runner.checkpoint import _load_checkpoint
    use_safe_loading_in_mmengine()
    check_loader('load_checkpoint_file', lambda: load_checkpoint_file(path), CheckpointError)
    check_loader('verify_checkpoint', lambda: verify_checkpoint(path), ())
    check_loader('mmengine _load_checkpoint', lambda: _load_checkpoint(path, map_location='cpu'), CheckpointError)
    check_loader('load_basis', lambda: load_basis(path), BasisFileError)
    check_loader('inspect_basis_file', lambda: inspect_basis_file(path), ())
    check_loader('read_official_pickle', lambda: official.read_official_pickle(path), official.OfficialBasisError)


@pytest.mark.parametrize('kind', sorted(SEEDS))
def test_seeds_load(kind):
    """The seeds are real files that their own loader reads (so that mutations start from a good file)."""
    path = osp.join(FOLDER, f'{kind}.pth')
    with open(path, 'wb') as f:
        f.write(SEEDS[kind])
    if kind.endswith('checkpoint'):
        assert verify_checkpoint(path) is None and 'message_hub' in load_checkpoint_file(path)
    elif kind == 'basis':
        assert load_basis(path)[0].shape == (10, 8)
    else:
        assert official.read_official_pickle(path)[0].shape == (10, 8)


@pytest.mark.parametrize('kind', sorted(SEEDS))
def test_mutated_files_load_or_are_refused_within_the_budget(kind):
    @FUZZ
    @given(data=mutations(kind))
    def fuzz(data):
        check_every_loader(data.data)

    fuzz()
