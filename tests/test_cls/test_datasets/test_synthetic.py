"""SyntheticClassification: sample i is made from (seed, i) alone, the same wherever and whenever it is
read; it goes through mmpretrain's pipeline and dataloader as a dataset of files would."""
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS

import mmebv.cls  # noqa: F401
from mmebv.utils.custom_imports import registered_by


def build(**kwargs):
    return DATASETS.build(dict(dict(type='SyntheticClassification', num_classes=5, num_samples=300, image_size=(6, 4),
                                    seed=3), **kwargs))


def test_sample_i_is_made_from_the_seed_and_i_alone():
    dataset = build()
    assert len(dataset) == 300 and registered_by()['SyntheticClassification'] == 'mmebv.cls'
    sample = dataset[7]
    assert sample['img'].shape == (6, 4, 3) and sample['img'].dtype == np.uint8 and sample['sample_idx'] == 7
    again, cut = build(), build(indices=[250, 7])  # another instance, the sample read second in a subset
    assert np.array_equal(again[7]['img'], sample['img']) and again[7]['gt_label'] == sample['gt_label']
    assert np.array_equal(cut[1]['img'], sample['img']) and cut[1]['gt_label'] == sample['gt_label']
    assert len(build(indices=10)) == 10 and len(build(indices=1000)) == 300
    other_seed = build(seed=4)[7]
    assert not np.array_equal(other_seed['img'], sample['img'])
    assert not np.array_equal(dataset[8]['img'], sample['img'])
    labels = [dataset[i]['gt_label'] for i in range(len(dataset))]
    assert set(labels) == set(range(5)) and max(np.bincount(labels)) < 100  # uniform over the classes


def test_the_pipeline_and_worker_processes_give_the_same_samples():
    dataset = build(pipeline=[dict(type='PackInputs')], indices=4)
    direct = [dataset[i] for i in range(4)]
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2, collate_fn=pseudo_collate)
    read = [(inputs, sample) for batch in loader for inputs, sample in zip(batch['inputs'], batch['data_samples'])]
    assert len(read) == 4
    for packed, (inputs, sample) in zip(direct, read):
        assert inputs.shape == (3, 6, 4) and torch.equal(inputs, packed['inputs'])
        assert int(sample.gt_label) == int(packed['data_samples'].gt_label)


@pytest.mark.parametrize('kwargs, problem', [
    (dict(num_classes=0), 'num_classes=0 must be an integer >= 1'),
    (dict(num_samples=2.5), 'num_samples=2.5 must be an integer >= 1'),
    (dict(image_size=(6, 4, 3)), r'image_size must be an int or \(H, W\)'),
    (dict(seed=-1), 'seed=-1 must be an integer >= 0'),
    (dict(indices=[3, 300]), r'indices must name samples in \[0, 300\)'),
    (dict(indices=0), 'indices=0 must be an integer >= 1'),
])
def test_bad_arguments_are_refused_by_name(kwargs, problem):
    with pytest.raises(ValueError, match='SyntheticClassification: ' + problem):
        build(**kwargs)
