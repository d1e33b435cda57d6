"""The on-disk basis cache: a relaunch reads what an earlier run generated, and nothing stale,
corrupt or foreign is ever used."""
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest
import torch
from helpers import ROOT

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


def test_a_full_disk_warns_and_the_basis_is_still_given(tmp_path, counted, monkeypatch):
    def disk_full(obj, path, *args, **kwargs):  # what torch.save does on a full disk (measured on a tmpfs)
        with open(path, 'wb') as f:
            f.write(b'PK\x03\x04 part of a zip')
        raise RuntimeError('[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534')

    monkeypatch.setattr(torch, 'save', disk_full)
    with pytest.warns(UserWarning, match=r'could not keep the EBV basis in the cache .*RuntimeError: .*unexpected pos'
                                         r'.*training goes on with the basis in memory'):
        head = FixedClassifier(8, 40, embed_dim=8, basis=dict(type='EBV', seed=3, budget=20, cache=str(tmp_path)))
    assert torch.equal(head.basis, generate_ebv(40, 8, seed=3, budget=20))
    assert os.listdir(tmp_path) == []  # neither an entry nor the half-written temporary file


# Run by the test below in a mount namespace of its own: the cache on a full or a read-only tmpfs.
ON_TMPFS = '''
import os, subprocess, sys, warnings
folder, how = sys.argv[1:]
subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64k' + (',ro' if how == 'read_only' else ''), 'tmpfs', folder],
               check=True)
if how == 'full':
    fd = os.open(os.path.join(folder, 'filler'), os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b'x' * 1024)
    except OSError:
        os.close(fd)
import mmebv.ebv.cache as cache
cache.CACHE_MIN_WORK = 0
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    basis, how = cache.generate_cached(40, 8, seed=3, budget=20, cache=folder)
print(tuple(basis.shape), how['source'], how['path'], sorted(os.listdir(folder)))
print(*[str(w.message) for w in caught], sep='\\n')
'''


@pytest.mark.parametrize('how', ['full', 'read_only'])
def test_a_full_or_read_only_cache_on_a_real_file_system_warns(tmp_path, how):
    if subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
        pytest.skip('needs a mount namespace (unshare -m) to mount a small tmpfs')
    folder = tmp_path / 'cache'
    folder.mkdir()
    out = subprocess.run(['unshare', '-m', sys.executable, '-c', ON_TMPFS, str(folder), how], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    left = "['filler']" if how == 'full' else '[]'
    assert f'(40, 8) generated None {left}' in out.stdout, out.stdout + out.stderr[-3000:]
    assert ('could not keep the EBV basis in the cache' if how == 'full' else 'is not writable') in out.stdout


# Generates into the cache, and is killed (SIGKILL) when half the file is written, before its rename.
KILLED_WRITE = '''
import os, signal, sys
import mmebv.ebv.cache as cache
import mmebv.ebv.io as io
def killed(tmp, final):
    with open(tmp, 'r+b') as f:
        f.truncate(os.path.getsize(tmp) // 2)
    os.kill(os.getpid(), signal.SIGKILL)
io.replace_atomically = killed
cache.CACHE_MIN_WORK = 0
cache.generate_cached(40, 8, seed=3, budget=20, cache=sys.argv[1])
'''


def test_a_write_killed_midway_leaves_nothing_taken_for_an_entry(tmp_path, counted):
    out = subprocess.run([sys.executable, '-c', KILLED_WRITE, str(tmp_path)], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)
    assert out.returncode == -signal.SIGKILL, out.stderr[-3000:]
    entry = cache_path(str(tmp_path), 40, 8, 3, 'auto', 20)
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith(os.path.basename(entry) + '.tmp-')  # only the temporary file
    young = tmp_path / (os.path.basename(entry) + '.tmp-999999999')  # another job's write under way
    young.write_bytes(b'')
    old = time.time() - 2 * cache_module.STALE_SECONDS
    os.utime(tmp_path / left[0], (old, old))
    basis, how = generate_cached(**SIZE, cache=str(tmp_path))
    assert how['source'] == 'generated' and len(counted) == 1  # the half file was not read as the entry
    assert sorted(os.listdir(tmp_path)) == sorted([os.path.basename(entry), young.name])  # and it was removed
    assert generate_cached(**SIZE, cache=str(tmp_path))[1]['source'] == 'cache'
