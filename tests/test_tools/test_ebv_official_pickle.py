"""The EBV authors' basis pickles: read on a CPU without running pickle code, refused otherwise."""
import collections
import hashlib
import os
import pickle
import pickletools
import re
import struct
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from helpers import loading_cost, tool_module, write_official_basis

from mmebv.ebv import BasisFileError, coherence, generate_ebv, load_basis
from mmebv.utils.bounded_loading import LOAD_BUDGET_MIB, LOAD_BUDGET_SECONDS

official = tool_module('ebv_official_pickle')  # tools/model_converters/ebv_official_pickle.py
OfficialBasisError, import_official_basis, read_official_basis, read_official_pickle, scan_globals = (
    official.OfficialBasisError, official.import_official_basis, official.read_official_basis,
    official.read_official_pickle, official.scan_globals)

CALLS = []


def trip(*args):
    """What a refused global would run: it records the call."""
    CALLS.append(args)
    return 'ran'


class Tripwire:
    """Pickles as a call of :func:`trip`, a global no basis file names."""

    def __reduce__(self):
        return (trip, ('a global outside the allow-list ran',))


@pytest.fixture
def official_file(tmp_path):
    """eq_16_20.pkl as the authors write it: 20 unit vectors in d = 16, stored under cuda:0."""
    basis = F.normalize(torch.randn(20, 16, generator=torch.Generator().manual_seed(1)), dim=1)
    path = str(tmp_path / 'eq_16_20.pkl')
    write_official_basis(path, basis, location='cuda:0')
    return path, basis


def test_reads_a_cuda_tagged_file_on_a_cpu_machine(official_file):
    path, basis = official_file
    with pytest.raises(Exception):  # what a user meets today: torch's safe loading refuses the file
        torch.load(path, map_location='cpu', weights_only=True)
    tensor, location = read_official_pickle(path)
    assert location == 'cuda:0' and tensor.dtype == torch.float32 and torch.equal(tensor, basis)


def test_the_fixture_is_torch_own_pickle_but_for_the_location_tag(tmp_path):
    """With the tag left alone, the fixture writer gives exactly the bytes ``pickle.dump`` of a tensor
    gives, so the cuda:0 files above differ from torch's output in that tag only."""
    basis = generate_ebv(6, 4, seed=0)
    path = str(tmp_path / 'eq_4_6.pkl')
    write_official_basis(path, basis, location='cpu')
    with open(path, 'rb') as f:
        assert f.read() == pickle.dumps(basis, protocol=4)
    tensor, location = read_official_pickle(path)
    assert location == 'cpu' and torch.equal(tensor, basis)


def test_rows_are_renormalised_as_the_authors_code_does(tmp_path):
    raw = generate_ebv(8, 8, seed=2) * torch.linspace(0.5, 2.0, 8)[:, None]
    path = str(tmp_path / 'eq_8_8.pkl')
    write_official_basis(path, raw)
    basis = read_official_basis(path)
    assert torch.allclose(basis.norm(dim=1), torch.ones(8), atol=1e-6)
    assert torch.equal(basis, F.normalize(raw, dim=1))


def test_import_writes_a_basis_file_with_the_source_coherence_and_checksum(official_file, tmp_path):
    path, basis = official_file
    out = str(tmp_path / 'ebv_official.pth')
    meta = import_official_basis(path, out, rows='0:12')
    loaded, saved_meta = load_basis(out, num_classes=12, dim=16)
    assert torch.equal(loaded, F.normalize(basis, dim=1)[:12])
    assert saved_meta['coherence_max'] == pytest.approx(coherence(basis[:12])['max'], abs=1e-6)
    with open(path, 'rb') as f:
        assert saved_meta['source_sha256'] == hashlib.sha256(f.read()).hexdigest()
    assert (meta['source'], meta['source_shape'], meta['source_location'], meta['rows']) == \
        ('eq_16_20.pkl', [20, 16], 'cuda:0', '0:12')
    with pytest.raises(ValueError, match='0 <= A < B <= 20'):
        import_official_basis(path, out, rows='5:30')
    with pytest.raises(ValueError, match='is the input file'):
        import_official_basis(path, path)
    assert torch.equal(load_basis(out)[0], loaded)  # the earlier output is still there, unchanged


def test_load_basis_names_the_converter_instead_of_regenerating(official_file):
    path, _ = official_file
    with pytest.raises(BasisFileError, match='ebv_official_basis.py') as error:
        load_basis(path)
    assert 'weights_only=False' in str(error.value) and 'Do not' in str(error.value)


def test_a_file_naming_another_global_is_refused_before_anything_runs(tmp_path):
    path = str(tmp_path / 'eq_4_6.pkl')
    with open(path, 'wb') as f:  # an allowed tensor first, then a global no basis file holds
        pickle.dump([generate_ebv(6, 4, seed=0), Tripwire()], f, protocol=4)
    CALLS.clear()
    with mock.patch.object(official, 'read_legacy_storage', side_effect=AssertionError('ran')) as storage:
        with pytest.raises(OfficialBasisError, match=f'names the global {__name__}.trip'):
            read_official_pickle(path)
    assert CALLS == [] and storage.call_count == 0  # refused before even the allowed tensor was built
    with pytest.raises(BasisFileError, match='ebv_official_basis.py'):
        load_basis(path)  # torch's safe loading refuses it too, and the message names the converter
    assert CALLS == []


def test_another_storage_type_is_refused(tmp_path):
    path = str(tmp_path / 'eq_4_6.pkl')
    write_official_basis(path, generate_ebv(6, 4, seed=0).double())
    with pytest.raises(OfficialBasisError, match='torch.DoubleStorage'):
        read_official_pickle(path)


@pytest.mark.parametrize('cut', [1, 100, 0.5])
def test_a_truncated_file_is_refused(official_file, cut):
    path, _ = official_file
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * cut)] if isinstance(cut, float) else data[:-cut])
    with pytest.raises(OfficialBasisError, match='truncated or corrupt'):
        read_official_pickle(path)


def test_padded_storage_data_is_refused():
    basis = generate_ebv(6, 4, seed=0)
    stream = pickle.dumps(basis, protocol=4)
    inner = next(arg for op, arg, _ in pickletools.genops(stream) if op.name == 'BINBYTES')  # the storage
    with pytest.raises(OfficialBasisError, match='truncated or padded'):
        official.read_legacy_storage(inner + b'\0\0\0\0', 'x.pkl')
    assert torch.equal(official.read_legacy_storage(inner, 'x.pkl').data, basis.flatten())


def test_content_that_is_not_one_tensor_is_refused(tmp_path):
    path = str(tmp_path / 'eq_4_6.pkl')
    with open(path, 'wb') as f:
        pickle.dump({'basis': [1, 2]}, f, protocol=4)
    with pytest.raises(OfficialBasisError, match='holds a dict, not one tensor'):
        read_official_pickle(path)


def test_the_scan_resolves_names_through_the_memo_and_old_opcodes():
    allowed = {('collections', 'OrderedDict'): None}
    # protocol 4: the second global's module comes back from the memo (BINGET), not as a literal
    two = pickle.dumps([collections.OrderedDict, collections.Counter], protocol=4)
    assert b'Counter' in two and two.count(b'collections') == 1
    with pytest.raises(OfficialBasisError, match='collections.Counter'):
        scan_globals(two, 'x.pkl', allowed)
    scan_globals(two, 'x.pkl', {**allowed, ('collections', 'Counter'): None})
    with pytest.raises(OfficialBasisError, match='collections.Counter'):  # protocol 2: GLOBAL opcodes
        scan_globals(pickle.dumps(collections.Counter, protocol=2), 'x.pkl', allowed)
    with pytest.raises(OfficialBasisError, match='persistent id'):
        scan_globals(b'\x80\x02X\x01\x00\x00\x000Q.', 'x.pkl', allowed)


# --- hostile pickles: refused within the loading budget (mmebv.utils.bounded_loading) ---

def assert_refused_within_budget(path, match):
    outcome, seconds, mib = loading_cost(lambda: read_official_pickle(path), LOAD_BUDGET_SECONDS)
    said = str(outcome) if isinstance(outcome, BaseException) else f'loaded a {type(outcome).__name__}'
    assert isinstance(outcome, OfficialBasisError) and re.search(match, said), said[:500]
    assert seconds < LOAD_BUDGET_SECONDS and mib < LOAD_BUDGET_MIB, (seconds, mib)


def test_a_memo_index_out_of_order_is_refused_before_the_unpickler_sizes_its_memo(official_file):
    """5 bytes before STOP: store the tensor at memo index 2^24 (pickle's C unpickler allocates a memo
    of that many entries; at 2^31 - 1, 4.9 GB and 27 s, and the file was accepted)."""
    path, _ = official_file
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:-1] + b'r' + struct.pack('<I', 1 << 24) + b'.')
    assert_refused_within_budget(path, r'stores memo entry 16777216 at byte \d+ where a pickler writes entry \d+')


def test_a_build_step_is_refused_before_it_resizes_the_tensor(official_file):
    """BUILD calls the tensor's __setstate__ with (itself, 0, (8e8, ), (1, )): set_() resizes its
    storage to 3.2 GB before any check could see the shape."""
    path, _ = official_file
    data = open(path, 'rb').read()
    memo = sum(op.name in ('MEMOIZE', 'BINPUT', 'LONG_BINPUT') for op, _, _ in pickletools.genops(data))
    state = b'(h' + bytes([memo - 1]) + b'K\x00J' + struct.pack('<i', 800_000_000) + b'\x85K\x01\x85tb'
    with open(path, 'wb') as f:
        f.write(data[:-1] + state + b'.')
    assert_refused_within_budget(path, 'opcode BUILD')


def test_a_tensor_repeating_its_storage_is_refused_before_it_is_copied(tmp_path):
    """One float viewed as (4096, 4096) with stride 0: 1 KB that clone() would make 64 MiB."""
    path = str(tmp_path / 'eq_4096_4096.pkl')
    with mock.patch.object(torch.serialization, 'location_tag', lambda storage: 'cuda:0'):
        with open(path, 'wb') as f:  # pickle writes the view as it is: its storage, size and stride
            pickle.dump(torch.full((1, ), 1 / 64).expand(4096, 4096), f, protocol=4)
    assert os.path.getsize(path) < 1024
    assert_refused_within_budget(path, r'size \(4096, 4096\) has more values than its storage of 1')
