"""The checkpoint hook removes only the checkpoints it writes, whatever paths a resumed checkpoint names."""
import os
import os.path as osp
import uuid

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger

from mmebv.engine import AtomicCheckpointHook


class Runner:
    """What the hook uses of mmengine's Runner: work dir, message hub, logger, epoch and a save."""

    def __init__(self, work_dir, **info):
        self.work_dir, self.epoch, self.iter = str(work_dir), 2, 4
        self.message_hub = MessageHub.get_instance(f'hook-test-{uuid.uuid4()}')
        for key, value in info.items():
            self.message_hub.update_info(key, value)
        self.logger = MMLogger.get_instance(f'hook-test-{uuid.uuid4()}')

    def save_checkpoint(self, out_dir, filename, file_client_args=None, **kwargs):
        torch.save(dict(state_dict={}), osp.join(out_dir, filename))


def new_best(run_dir, **info):
    """Resume a hook whose message hub holds ``info``, then reach a new best accuracy at epoch 2."""
    hook = AtomicCheckpointHook(interval=1, save_best='auto', max_keep_ckpts=1)
    runner = Runner(run_dir, **info)
    hook.before_train(runner)
    hook._save_best_checkpoint(runner, dict(accuracy=0.9))
    return runner


def tree(folder):
    return sorted(osp.relpath(osp.join(root, name), folder) for root, dirs, files in os.walk(folder)
                  for name in dirs + files)


@pytest.fixture
def layout(tmp_path):
    """A run directory with a log folder and a checkpoint, beside another folder with files in it."""
    run_dir, other = tmp_path / 'run', tmp_path / 'other'
    (run_dir / '20261207_logs').mkdir(parents=True)
    (run_dir / '20261207_logs' / 'run.log').write_text('log')
    (run_dir / 'epoch_1.pth').write_bytes(b'checkpoint')
    other.mkdir()
    (other / 'best_accuracy_epoch_1.pth').write_bytes(b'not this run\'s')
    return run_dir, other


@pytest.mark.parametrize('named', [
    '{run}',                                      # the run's own directory (this removed the whole run)
    '{run}/20261207_logs',                        # a folder in it
    '{run}/best_accuracy_epoch_1.pth',            # a folder under a best checkpoint's name
    '{run}/link/best_accuracy_epoch_1.pth',       # through a link to another folder
    '{run}/best_accuracy_epoch_9.pth',            # a link under a best checkpoint's name
    '{run}/../other/best_accuracy_epoch_1.pth',   # out of the run by '..'
    '{other}/best_accuracy_epoch_1.pth',          # another run's best (a resume into a new work dir)
    '{run}/epoch_1.pth',                          # a file of this run, but not a best checkpoint
    '{run}/20261207_logs/run.log',                # a file deeper in the run
], ids=['run_dir', 'log_dir', 'dir_as_best', 'via_link', 'link_as_best', 'dotdot', 'other_run', 'periodic', 'log'])
def test_a_best_path_from_a_checkpoint_removes_nothing_the_hook_did_not_write(layout, named):
    run_dir, other = layout
    (run_dir / 'best_accuracy_epoch_1.pth').mkdir()
    (run_dir / 'best_accuracy_epoch_1.pth' / 'inside').write_text('x')
    (run_dir / 'link').symlink_to(other, target_is_directory=True)
    (run_dir / 'best_accuracy_epoch_9.pth').symlink_to(other / 'best_accuracy_epoch_1.pth')
    before_run, before_other = tree(run_dir), tree(other)
    new_best(run_dir, best_ckpt=named.format(run=run_dir, other=other), best_score=0.5)
    assert tree(other) == before_other
    assert set(before_run) <= set(tree(run_dir))  # all still there, plus the new best
    assert osp.isfile(run_dir / 'best_accuracy_epoch_2.pth')


def test_the_previous_best_of_this_run_is_removed(layout):
    run_dir, _ = layout
    (run_dir / 'best_accuracy_epoch_1.pth').write_bytes(b'old best')
    new_best(run_dir, best_ckpt=str(run_dir / 'best_accuracy_epoch_1.pth'), best_score=0.5)
    assert not osp.exists(run_dir / 'best_accuracy_epoch_1.pth')
    assert osp.isfile(run_dir / 'best_accuracy_epoch_2.pth')


def test_checkpoints_to_keep_named_by_a_checkpoint_remove_only_checkpoint_files(layout):
    run_dir, other = layout
    (run_dir / 'epoch_3.pth').mkdir()  # a folder under a checkpoint's name
    hook = AtomicCheckpointHook(interval=1, max_keep_ckpts=1)
    runner = Runner(run_dir, keep_ckpt_ids=['../other/x', 3, 1, 5])
    hook.before_train(runner)
    assert osp.isdir(run_dir / 'epoch_3.pth') and tree(other) == ['best_accuracy_epoch_1.pth']
    assert not osp.exists(run_dir / 'epoch_1.pth')  # a checkpoint of this run beyond max_keep_ckpts: removed
    assert list(hook.keep_ckpt_ids) == [5]


def test_only_its_own_temporary_files_are_cleaned_up(layout):
    run_dir, _ = layout
    (run_dir / '.epoch_2.pth.tmp-123').write_bytes(b'half a checkpoint')  # left by a killed save
    (run_dir / '.notes.tmp-1').write_text('a user\'s file')
    (run_dir / '.best_accuracy_epoch_1.pth.tmp-7').mkdir()
    AtomicCheckpointHook(interval=1).before_train(Runner(run_dir))
    assert not osp.exists(run_dir / '.epoch_2.pth.tmp-123')
    assert osp.isfile(run_dir / '.notes.tmp-1') and osp.isdir(run_dir / '.best_accuracy_epoch_1.pth.tmp-7')


class RemoteBackend:
    """A storage backend that is not local (as petrel or S3): paths are strings joined with '/'."""

    def __init__(self, files):
        self.files = set(files)

    def join_path(self, *parts):
        return '/'.join(part.rstrip('/') for part in parts)

    def isfile(self, path):
        return path in self.files

    def remove(self, path):
        self.files.remove(path)


def test_with_another_storage_backend_only_its_own_names_in_its_folder_are_removed(tmp_path):
    hook = AtomicCheckpointHook(interval=1, save_best='auto')
    runner = Runner(tmp_path)
    hook.before_train(runner)
    run = 's3://bucket/run'
    own = f'{run}/best_accuracy_epoch_1.pth'
    others = [run, f'{run}/logs/best_accuracy_epoch_1.pth', 's3://bucket/other/best_accuracy_epoch_1.pth',
              f'{run}/notes.txt']
    hook.out_dir, hook.file_backend = run, RemoteBackend([own, *others])
    for path in others + [own]:
        hook._remove(runner, path, 'best')
    assert hook.file_backend.files == set(others)
