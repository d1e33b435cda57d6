"""Growing through tools/train.py (mmpretrain): a checkpoint of the 10-class demo loads, with
``load_from``, into the same model with 12 classes whose basis extends the checkpoint's; without
that extension it is refused."""
import os.path as osp

import pytest
import torch
from helpers import run

from mmebv.ebv import extend_basis
from mmebv.engine.safe_loading import load_checkpoint_file

CONFIG = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
SHORT = ['train_dataloader.dataset.indices=256', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=100']
GROWN = ['model.head.num_classes=12', 'model.head.classifier.grow_from_checkpoint=True']

pytestmark = pytest.mark.e2e


def test_load_from_grows_the_demo_by_two_classes(tmp_path):
    first = str(tmp_path / 'first')
    run(['tools/train.py', CONFIG, '--work-dir', first, '--cfg-options', *SHORT])
    checkpoint = osp.join(first, 'epoch_1.pth')
    old = load_checkpoint_file(checkpoint)['state_dict']
    second = str(tmp_path / 'second')
    run(['tools/train.py', CONFIG, '--work-dir', second, '--cfg-options', *SHORT, *GROWN,
         'model.head.classifier.basis.extend_from=[10]', f'load_from={checkpoint}'])
    new = load_checkpoint_file(osp.join(second, 'epoch_1.pth'))['state_dict']
    basis = new['head.classifier.basis']
    assert basis.shape == (12, 128)
    assert torch.equal(basis[:10], old['head.classifier.basis'])
    assert torch.equal(basis, extend_basis(old['head.classifier.basis'], 12, seed=0))
    # a fresh 12-class basis does not extend the checkpoint's: refused, naming the fix
    out = run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'third'), '--cfg-options', *SHORT, *GROWN,
               f'load_from={checkpoint}'], check=False)
    assert 'are not the first 10 rows of the basis this config builds' in out and 'extend_from=[10]' in out
