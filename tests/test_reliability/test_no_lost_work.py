"""No run is lost: kills at any moment (mid-save included) resume, a corrupt latest checkpoint is
skipped, and resuming into another work dir removes nothing outside it."""
import os
import os.path as osp
import random
import subprocess
import sys
import textwrap
import time

import pytest
import torch
from helpers import ROOT, run, user_env

from mmebv.engine.checkpoints import check_resume_path, find_resumable_checkpoint
from mmebv.engine.safe_loading import CheckpointError, load_checkpoint_file

CONFIG = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
TINY = ['train_dataloader.dataset.indices=256', 'val_dataloader.dataset.indices=200',  # 2 iterations an epoch
        'default_hooks.checkpoint.max_keep_ckpts=1', 'default_hooks.logger.interval=1']
# tools/train.py, but the write of the checkpoint whose name contains $KILL_AT stops the process
# half-way through the file, as a SIGKILL or a power cut during the save would.
KILLING_TRAIN = textwrap.dedent(f'''
    import os, runpy, sys
    from mmengine.fileio.backends import local_backend
    put = local_backend.LocalBackend.put
    def cut_off(self, obj, filepath):
        if os.environ['KILL_AT'] in os.path.basename(str(filepath)):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            os._exit(137)
        return put(self, obj, filepath)
    local_backend.LocalBackend.put = cut_off
    sys.argv[0] = {osp.join(ROOT, 'tools', 'train.py')!r}
    runpy.run_path(sys.argv[0], run_name='__main__')
''')


def save(path, epoch):
    torch.save(dict(meta=dict(epoch=epoch), state_dict={'w': torch.full((64, ), float(epoch))}), path)


def test_auto_resume_skips_a_corrupt_latest_checkpoint_and_says_so(tmp_path):
    said = []
    save(tmp_path / 'epoch_1.pth', 1)
    save(tmp_path / 'epoch_2.pth', 2)
    data = (tmp_path / 'epoch_2.pth').read_bytes()
    (tmp_path / 'epoch_2.pth').write_bytes(data[:len(data) - 200])  # truncated
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    assert find_resumable_checkpoint(str(tmp_path), said.append) == str(tmp_path / 'epoch_1.pth')
    assert 'epoch_2.pth is not a readable checkpoint' in said.pop()
    (tmp_path / 'last_checkpoint').write_text('')  # a pointer cut off while written
    assert find_resumable_checkpoint(str(tmp_path), said.append) == str(tmp_path / 'epoch_1.pth')
    assert 'last_checkpoint is empty' in said[0]
    with pytest.raises(CheckpointError, match=r'cannot resume: .*epoch_2\.pth is not a readable checkpoint.*'
                                              r'readable checkpoints: .*epoch_1\.pth'):
        check_resume_path(str(tmp_path / 'epoch_2.pth'))
    os.remove(tmp_path / 'epoch_1.pth')
    with pytest.raises(CheckpointError, match='no checkpoint in .* can be resumed from'):
        find_resumable_checkpoint(str(tmp_path))
    os.remove(tmp_path / 'epoch_2.pth')
    os.remove(tmp_path / 'last_checkpoint')
    assert find_resumable_checkpoint(str(tmp_path)) is None  # nothing yet: start from scratch


def test_resume_skips_a_candidate_whatever_error_it_raises(tmp_path):
    said = []
    save(tmp_path / 'epoch_1.pth', 1)
    text = tmp_path / 'passwd'
    text.write_text('root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n')
    (tmp_path / 'last_checkpoint').write_text(str(text))  # torch's unpickler raises IndexError on it
    assert find_resumable_checkpoint(str(tmp_path), said.append) == str(tmp_path / 'epoch_1.pth')
    assert 'passwd is not a readable checkpoint' in said.pop()
    with pytest.raises(CheckpointError, match=r'cannot resume: .*passwd is not a readable checkpoint.*'
                                              r'readable checkpoints: .*epoch_1\.pth'):
        check_resume_path(str(text))
    (tmp_path / 'last_checkpoint').write_bytes(b'\xff\xfe\x00 not a path')
    assert find_resumable_checkpoint(str(tmp_path), said.append) == str(tmp_path / 'epoch_1.pth')
    assert 'last_checkpoint cannot be read as a path' in said[0]


def test_a_corrupt_checkpoint_record_is_found_by_its_crc(tmp_path):
    save(tmp_path / 'epoch_1.pth', 1)
    data = bytearray((tmp_path / 'epoch_1.pth').read_bytes())
    at = data.index(bytes(torch.full((64, ), 1.0).numpy().tobytes()[:8]))  # inside the tensor's record
    data[at] ^= 0xFF
    (tmp_path / 'epoch_1.pth').write_bytes(bytes(data))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    with pytest.raises(CheckpointError, match='fails its CRC check'):
        find_resumable_checkpoint(str(tmp_path))


def train(work_dir, *options, resume=False, env=None, script=None):
    args = [script or 'tools/train.py', CONFIG, '--work-dir', str(work_dir), '--cfg-options', *TINY, *options]
    return run(args + (['--resume'] if resume else []), env=env, check=False, timeout=600)


@pytest.mark.e2e
def test_killed_mid_save_with_max_keep_ckpts_1_resumes(tmp_path):
    script = tmp_path / 'killing_train.py'
    script.write_text(KILLING_TRAIN)
    log = train(tmp_path / 'run', 'train_cfg.max_epochs=3', env=user_env(KILL_AT='epoch_2.pth'), script=str(script))
    assert 'Saving checkpoint at 2 epochs' in log and 'Epoch(train) [3]' not in log  # stopped in that save
    log = train(tmp_path / 'run', 'train_cfg.max_epochs=3', resume=True)
    assert 'resumed epoch: 1' in log and 'Epoch(train) [3][2/2]' in log, log[-3000:]
    assert load_checkpoint_file(str(tmp_path / 'run' / 'epoch_3.pth'))['meta']['epoch'] == 3
    assert not [name for name in os.listdir(tmp_path / 'run') if '.tmp-' in name]


@pytest.mark.e2e
def test_training_killed_at_random_moments_always_resumes(tmp_path):
    """SIGKILL after a random number of log lines plus a random delay, three times, then to the end."""
    rng = random.Random(16)
    work_dir = tmp_path / 'run'
    args = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir), '--resume', '--cfg-options',
            *TINY, 'train_cfg.max_epochs=4']
    kills = 0
    for attempt in range(4):
        proc = subprocess.Popen(args, cwd=ROOT, env=user_env(PYTHONUNBUFFERED='1'), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        lines, kill_after = [], rng.randint(1, 12)
        for line in proc.stdout:
            lines.append(line)
            if attempt < 3 and sum('Epoch(' in x or 'checkpoint' in x for x in lines) >= kill_after:
                time.sleep(rng.uniform(0, 0.4))
                proc.kill()
                kills += 1
                break
        proc.stdout.close()
        code = proc.wait()
        log = ''.join(lines)
        assert code in (0, -9), log[-3000:]  # finished, or killed by the test; never an error of its own
        assert 'Traceback' not in log, log[-3000:]
        if code == 0:
            break
    assert code == 0 and 'Epoch(train) [4][2/2]' in log, log[-3000:]
    assert kills >= 1 and 'resumed epoch' in log  # it was killed, and the run that finished had resumed
    assert load_checkpoint_file(str(work_dir / 'epoch_4.pth'))['meta']['epoch'] == 4


@pytest.mark.e2e
def test_resuming_into_another_work_dir_removes_nothing_outside_it(tmp_path):
    first, second = tmp_path / 'first', tmp_path / 'second'
    log = train(first, 'train_cfg.max_epochs=1')
    best = [name for name in os.listdir(first) if name.startswith('best_')]
    assert best, log[-3000:]
    before = sorted(os.listdir(first))
    log = train(second, 'train_cfg.max_epochs=2', '--resume', str(first / 'epoch_1.pth'))
    # a new best in the second run is what made mmengine remove the first run's best file
    assert 'The best checkpoint with' in log and 'at 2 epoch' in log, log[-3000:]
    assert sorted(os.listdir(first)) == before
    assert osp.isfile(second / 'epoch_2.pth')


@pytest.mark.e2e
def test_a_checkpoint_naming_the_run_dir_as_its_best_removes_nothing(tmp_path):
    run_dir = tmp_path / 'run'
    log = train(run_dir, 'train_cfg.max_epochs=1')
    checkpoint = load_checkpoint_file(str(run_dir / 'epoch_1.pth'))
    info = checkpoint['message_hub']['runtime_info']
    assert info['best_ckpt'].endswith('best_accuracy_top1_epoch_1.pth'), log[-3000:]
    info['best_ckpt'], info['best_score'] = str(run_dir), 0.0  # the run's own directory; any accuracy is better
    torch.save(checkpoint, run_dir / 'epoch_1.pth')
    before = sorted(os.listdir(run_dir))
    log = train(run_dir, 'train_cfg.max_epochs=2', resume=True)
    assert 'The best checkpoint with' in log and 'at 2 epoch' in log, log[-3000:]
    after = set(os.listdir(run_dir)) if osp.isdir(run_dir) else set()
    assert set(before) - {'epoch_1.pth'} <= after  # the logs, the config, the first best (max_keep_ckpts=1 ...)
    assert 'epoch_1.pth' not in after and osp.isfile(run_dir / 'epoch_2.pth')  # ... removes epoch_1 for epoch_2
    assert f'{run_dir} is not named as the best checkpoints this hook writes: kept' in log
