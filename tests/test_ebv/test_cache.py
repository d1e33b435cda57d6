"""The on-disk basis cache: a relaunch reads what an earlier run generated, and nothing stale,
corrupt or foreign is ever used."""
import os
import warnings

import pytest
import torch

import mmebv.ebv.cache as cache_module
from mmebv.classifiers import FixedClassifier
from mmebv.ebv import generate_ebv, load_basis
from mmebv.ebv.cache import cache_path, generate_cached

SIZE = dict(num_classes=40, dim=8, seed=3, budget=20)


@pytest.fixture
def counted(monkeypatch):
    """Cache even tiny bases, and count the generations."""
    monkeypatch.setattr(cache_module, 'CACHE_MIN_WORK', 0)
    calls = []
    original = cache_module.generate_ebv
    monkeypatch.setattr(cache_module, 'generate_ebv', lambda *a, **k: calls.append(a) or original(*a, **k))
    return calls


def test_a_second_build_reads_the_cache(tmp_path, counted):
    first, how = generate_cached(**SIZE, cache=str(tmp_path))
    assert how['source'] == 'generated' and os.path.isfile(how['path']) and len(counted) == 1
    again, how_again = generate_cached(**SIZE, cache=str(tmp_path))
    assert how_again == dict(source='cache', path=how['path'], info=how['info']) and len(counted) == 1
    assert torch.equal(first, again)
    assert torch.equal(first, generate_ebv(40, 8, seed=3, budget=20))
    _, meta = load_basis(how['path'])
    assert meta['generation']['stopped'] == 'budget' and meta['budget'] == 20  # where it stopped, recorded


@pytest.mark.parametrize('change', [dict(seed=4), dict(budget=21), dict(method='optimize'), dict(dim=9)])
def test_other_arguments_are_another_entry(tmp_path, counted, change):
    generate_cached(**SIZE, cache=str(tmp_path))
    _, how = generate_cached(**dict(SIZE, **change), cache=str(tmp_path))
    assert how['source'] == 'generated' and len(counted) == 2
    assert len(os.listdir(tmp_path)) == 2


def test_a_new_generator_version_is_another_entry(tmp_path, counted, monkeypatch):
    generate_cached(**SIZE, cache=str(tmp_path))
    monkeypatch.setattr(cache_module, 'GENERATOR_VERSION', cache_module.GENERATOR_VERSION + 1)
    assert generate_cached(**SIZE, cache=str(tmp_path))[1]['source'] == 'generated'


def test_a_corrupt_entry_is_generated_again_and_replaced(tmp_path, counted):
    _, how = generate_cached(**SIZE, cache=str(tmp_path))
    with open(how['path'], 'wb') as f:
        f.write(b'garbage')
    with pytest.warns(UserWarning, match='is unusable.*generating it again'):
        basis, again = generate_cached(**SIZE, cache=str(tmp_path))
    assert again['source'] == 'generated' and len(counted) == 2
    assert torch.equal(load_basis(how['path'])[0], basis)


def test_an_entry_made_from_other_arguments_is_not_used(tmp_path, counted):
    _, how = generate_cached(**SIZE, cache=str(tmp_path))
    other = cache_path(str(tmp_path), 40, 8, 4, 'auto', 20)  # the file of seed 4 holds seed 3's basis
    os.replace(how['path'], other)
    with pytest.warns(UserWarning, match='made from other arguments'):
        assert generate_cached(**dict(SIZE, seed=4), cache=str(tmp_path))[1]['source'] == 'generated'


def test_an_unwritable_cache_says_so_and_still_gives_the_basis(tmp_path, counted):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    with pytest.warns(UserWarning, match=r"cache directory .*a_file/bases' is not writable.*every launch "
                      r'generates it again.*MMEBV_CACHE_DIR.*cache=False'):
        basis, how = generate_cached(**SIZE, cache=str(blocker / 'bases'))
    assert how == dict(source='generated', path=None, info=how['info'])
    assert torch.equal(basis, generate_ebv(40, 8, seed=3, budget=20))


def test_no_cache_when_switched_off_or_not_worth_it(tmp_path, counted, monkeypatch):
    assert generate_cached(**SIZE, cache=False)[1]['path'] is None
    assert generate_cached(**dict(SIZE, budget=0), cache=str(tmp_path))[1]['path'] is None  # unrefined: O(N d)
    monkeypatch.setattr(cache_module, 'CACHE_MIN_WORK', 1e30)
    assert generate_cached(**SIZE, cache=str(tmp_path))[1]['path'] is None
    assert os.listdir(tmp_path) == []


def test_the_default_location_is_configurable(tmp_path, monkeypatch):
    monkeypatch.setenv('MMEBV_CACHE_DIR', str(tmp_path / 'env'))
    assert cache_module.default_cache_dir() == str(tmp_path / 'env')
    monkeypatch.delenv('MMEBV_CACHE_DIR')
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert cache_module.default_cache_dir() == str(tmp_path / 'xdg' / 'mmebv' / 'bases')


def test_a_long_generation_says_what_it_does_and_names_the_tool(tmp_path, counted, capsys):
    generate_cached(**SIZE, cache=str(tmp_path), verbose=True)
    err = capsys.readouterr().err
    assert 'generating an EBV basis of 40 x 8 (seed 3, method auto) within a budget of 20 evaluations' in err
    assert '`python tools/misc/generate_ebv.py 40 8 --seed 3 --out FILE`' in err
    assert '20/20 evaluations' in err and 'x Welch' in err  # progress: evaluations and ratio to Welch
    assert 'kept in the cache' in err
    generate_cached(**SIZE, cache=str(tmp_path), verbose=True)
    assert 'read from the cache' in capsys.readouterr().err


def test_the_head_takes_budget_and_cache_from_its_basis_dict(tmp_path, counted):
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a writable cache, no warning
        head = FixedClassifier(8, 40, embed_dim=8, basis=dict(type='EBV', seed=3, budget=20, cache=str(tmp_path)))
    assert torch.equal(head.basis, generate_ebv(40, 8, seed=3, budget=20))
    assert head.basis_meta['budget'] == 20 and len(os.listdir(tmp_path)) == 1
    again = FixedClassifier(8, 40, embed_dim=8, basis=dict(type='EBV', seed=3, budget=20, cache=str(tmp_path)))
    assert torch.equal(again.basis, head.basis) and len(counted) == 1


def test_the_notice_is_automatic_above_its_work_and_silent_below(tmp_path, counted, capsys, monkeypatch):
    monkeypatch.setattr(cache_module, 'NOTICE_WORK', 1e30)
    generate_cached(**SIZE, cache=False)
    assert capsys.readouterr().err == ''
    monkeypatch.setattr(cache_module, 'NOTICE_WORK', 0)
    generate_cached(**SIZE, cache=False)
    assert 'generate_ebv.py 40 8' in capsys.readouterr().err
    generate_cached(num_classes=8, dim=16, cache=False)  # N <= d: an orthonormal basis, nothing refined
    assert capsys.readouterr().err == ''
