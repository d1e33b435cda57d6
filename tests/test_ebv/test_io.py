import os

import pytest
import torch

from mmebv.ebv import BasisFileError, generate_ebv, load_basis, save_basis


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
