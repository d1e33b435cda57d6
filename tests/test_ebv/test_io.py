import os
import re

import pytest
import torch
from helpers import deflated_storage, loading_cost

from mmebv.ebv import BasisFileError, describe, generate_ebv, inspect_basis_file, load_basis, save_basis
from mmebv.ebv.io import FORMAT, basis_checksum
from mmebv.utils.bounded_loading import LOAD_BUDGET_MIB, LOAD_BUDGET_SECONDS


@pytest.fixture
def basis_file(tmp_path):
    path = str(tmp_path / 'basis.pth')
    save_basis(path, generate_ebv(12, 16, seed=5), seed=5, method='auto')
    return path


def test_round_trip_keeps_basis_and_metadata(basis_file):
    basis, meta = load_basis(basis_file, num_classes=12, dim=16)
    assert torch.equal(basis, generate_ebv(12, 16, seed=5))
    assert (meta['num_classes'], meta['dim'], meta['seed'], meta['method']) == (12, 16, 5, 'auto')
    assert meta['coherence_max'] < 1e-6 and len(meta['checksum']) == 64
    # tensors and plain Python only: torch's safe loading reads it with no allow-list
    torch.load(basis_file, weights_only=True)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='generate_ebv.py'):
        load_basis(str(tmp_path / 'nope.pth'))


def test_truncated_file(basis_file):
    data = open(basis_file, 'rb').read()
    with open(basis_file, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(BasisFileError, match='not a readable basis file.*generate_ebv.py'):
        load_basis(basis_file)


def test_changed_values_fail_the_checksum(basis_file):
    content = torch.load(basis_file, weights_only=True)
    content['basis'][0, 0] += 1e-3
    torch.save(content, basis_file)
    with pytest.raises(BasisFileError, match='checksum'):
        load_basis(basis_file)


def test_metadata_that_contradicts_the_tensor(basis_file):
    content = torch.load(basis_file, weights_only=True)
    content['meta']['num_classes'] = 13
    torch.save(content, basis_file)
    with pytest.raises(BasisFileError, match='says it holds 13 x 16'):
        load_basis(basis_file)


def test_not_a_basis_file(tmp_path):
    path = str(tmp_path / 'weights.pth')
    torch.save({'state_dict': {}}, path)
    with pytest.raises(BasisFileError, match='not an mmebv basis file'):
        load_basis(path)


@pytest.mark.parametrize('kwargs,message', [(dict(num_classes=10), 'num_classes=12, but 10'),
                                            (dict(dim=32), 'dim=16, but 32')])
def test_sizes_that_differ_from_the_config(basis_file, kwargs, message):
    with pytest.raises(BasisFileError, match=message):
        load_basis(basis_file, **kwargs)


def test_an_interrupted_save_keeps_the_old_file(basis_file, monkeypatch):
    before = open(basis_file, 'rb').read()

    def broken_save(obj, path):
        with open(path, 'wb') as f:
            f.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(torch, 'save', broken_save)
    with pytest.raises(OSError):
        save_basis(basis_file, generate_ebv(12, 16, seed=6))
    assert open(basis_file, 'rb').read() == before
    assert os.listdir(os.path.dirname(basis_file)) == ['basis.pth']  # no half-written leftovers


def write_unchecked(path, basis):
    """A basis file as any writer could make it (the checks of save_basis bypassed): checksum and
    metadata describe the tensor faithfully, whatever it holds."""
    torch.save(dict(basis=basis, meta=dict(describe(basis), format=FORMAT)), path)


def broken(kind):
    basis = generate_ebv(12, 16, seed=5).clone()
    if kind == 'nan':
        basis[3, 2] = float('nan')
    elif kind == 'zero':
        basis[4] = 0
    elif kind == 'non-unit':
        basis[5] *= 1.5
    elif kind == 'duplicated':
        basis[7] = basis[2]
    elif kind == 'antipodal':
        basis[7] = -basis[2]
    return basis


@pytest.mark.parametrize('kind,message', [('nan', r'finite values: 1 rows hold NaN or inf \(first: row 3\)'),
                                          ('zero', 'unit rows: row 4 has norm 0'),
                                          ('non-unit', 'unit rows: row 5 has norm 1.5'),
                                          ('duplicated', 'distinct lines: rows 2 and 7 span the same line'),
                                          ('antipodal', 'distinct lines: rows 2 and 7 span the same line')])
@pytest.mark.parametrize('recompute', [None, False])
def test_invalid_vectors_are_refused_on_load_and_on_save(tmp_path, kind, message, recompute):
    path = str(tmp_path / 'basis.pth')
    write_unchecked(path, broken(kind))
    with pytest.raises(BasisFileError, match=f'not a usable basis .*{message}.*generate_ebv.py'):
        load_basis(path, **({} if recompute is None else dict(recompute=recompute)))
    with pytest.raises(ValueError, match=f'refusing to save an invalid basis.*{message}'):
        save_basis(str(tmp_path / 'other.pth'), broken(kind))
    assert not (tmp_path / 'other.pth').exists()


def test_a_recorded_coherence_that_is_not_the_basis_is_refused(basis_file):
    content = torch.load(basis_file, weights_only=True)
    content['meta']['coherence_max'] = 0.5  # the checksum covers the tensor, not its description
    torch.save(content, basis_file)
    with pytest.raises(BasisFileError, match='recorded coherence: recorded 0.500000, measured 0.000000'):
        load_basis(basis_file)


def test_near_duplicates_are_refused_through_the_recorded_coherence(tmp_path):
    basis = generate_ebv(12, 16, seed=5).clone()
    basis[7] = torch.nn.functional.normalize(basis[2] + 1e-5 * basis[3], dim=0)  # not bit-equal to row 2
    path = str(tmp_path / 'basis.pth')
    write_unchecked(path, basis)
    with pytest.raises(BasisFileError, match=r'distinct lines: two rows span the same line: max \|cos\| = 1.0000'):
        load_basis(path, recompute=False)


def test_an_empty_file_gets_a_clear_message(tmp_path):
    path = tmp_path / 'empty.pth'
    path.write_bytes(b'')
    with pytest.raises(BasisFileError, match=r'is empty \(0 bytes\).*generate_ebv.py'):
        load_basis(str(path))


def test_a_file_whose_error_has_no_message_gets_a_clear_one(tmp_path, monkeypatch):
    path = tmp_path / 'basis.pth'
    path.write_bytes(b'x')

    def fail(*args, **kwargs):
        raise RuntimeError('')

    monkeypatch.setattr(torch, 'load', fail)
    with pytest.raises(BasisFileError, match=r'not a readable basis file \(RuntimeError: no message\)'):
        load_basis(str(path))


# --- hostile basis files: refused within the loading budget (mmebv.utils.bounded_loading) ---

def assert_refused_within_budget(path, match):
    """load_basis raises BasisFileError matching ``match``; inspect_basis_file finds it unreadable, for
    the same reason; each within the budget."""
    outcome, seconds, mib = loading_cost(lambda: load_basis(path), LOAD_BUDGET_SECONDS)
    said = str(outcome) if isinstance(outcome, BaseException) else f'loaded a {type(outcome).__name__}'  # no repr
    assert isinstance(outcome, BasisFileError) and re.search(match, said), said[:500]
    assert seconds < LOAD_BUDGET_SECONDS and mib < LOAD_BUDGET_MIB, (seconds, mib)
    outcome, seconds, mib = loading_cost(lambda: inspect_basis_file(path), LOAD_BUDGET_SECONDS)
    assert outcome['verdicts'][0][:2] == ('readable', False) and re.search(match, outcome['verdicts'][0][2])
    assert seconds < LOAD_BUDGET_SECONDS and mib < LOAD_BUDGET_MIB, (seconds, mib)


def test_a_compressed_basis_record_is_refused_before_it_is_inflated(basis_file, tmp_path):
    bomb = str(tmp_path / 'bomb.pth')
    deflated_storage(basis_file, bomb, 256 << 20)
    assert_refused_within_budget(bomb, r'data/0 is compressed \(method 8\)')


def test_metadata_shared_along_2_to_the_60_paths_is_refused(basis_file):
    content = torch.load(basis_file, weights_only=True)
    nested = []
    for _ in range(60):
        nested = [nested, nested]
    content['meta']['note'] = nested
    torch.save(content, basis_file)
    assert_refused_within_budget(basis_file, 'expand to more than .* walked as a tree')


def test_a_basis_repeating_its_storage_is_refused(tmp_path):
    """A (4096, 4096) view of one float with a valid checksum: 64 MiB to check from a 1 KB file."""
    basis = torch.full((1, ), 1 / 64).expand(4096, 4096)  # unit rows
    path = str(tmp_path / 'view.pth')
    torch.save(dict(basis=basis, meta=dict(format=FORMAT, num_classes=4096, dim=4096,
                                           checksum=basis_checksum(basis))), path)
    assert os.path.getsize(path) < 4096
    assert_refused_within_budget(path, 'claims 67108864 bytes, more than the file holds')


def test_a_recorded_coherence_that_is_not_a_number_is_refused(basis_file):
    """Found by the fuzz test: a TypeError from the comparison instead of the documented error."""
    content = torch.load(basis_file, weights_only=True)
    content['meta']['coherence_max'] = 'coherence_mean'
    torch.save(content, basis_file)
    with pytest.raises(BasisFileError, match="recorded coherence: recorded 'coherence_mean', not a number"):
        load_basis(basis_file)
    verdicts = {name: (passed, detail) for name, passed, detail in inspect_basis_file(basis_file)['verdicts']}
    assert verdicts['recorded coherence'] == (False, "recorded 'coherence_mean', not a number")
