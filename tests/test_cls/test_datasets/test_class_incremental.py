"""ClassIncrementalDataset over a class order (a benchmark's subset of a dataset's classes, relabelled
in session order, as ImageNet-100 over ImageNet-1k) and the exemplar cut of a short run."""
import os.path as osp

import numpy as np
import pytest
from helpers import ROOT

from mmebv.cls.datasets import ClassIncrementalDataset
from mmebv.cls.datasets.class_orders import CLASS_ORDERS

TEST_SET = dict(type='LocalFashionMNIST', data_root=osp.join(ROOT, 'data', 'fashion_mnist'), split='test')
ORDER = [7, 3, 5, 0]  # class 0 is Fashion-MNIST label 7 (Sneaker), class 1 label 3, ...


def packed_labels(dataset) -> np.ndarray:
    """The gt_label of every sample as the pipeline packed it."""
    return np.array([int(dataset[i]['data_samples'].gt_label) for i in range(len(dataset))])


def inner_labels(dataset) -> np.ndarray:
    """The inner dataset's own label of every sample of the set."""
    return np.asarray(dataset.dataset.get_gt_labels())[dataset.indices]


def test_class_order_relabels_the_samples_of_the_classes_it_lists():
    pipeline = [dict(type='PackInputs')]
    session = ClassIncrementalDataset(dict(TEST_SET, pipeline=pipeline), classes=[1, 2], exemplar_classes=1,
                                      exemplars_per_class=4, class_order=ORDER)
    inner, packed = inner_labels(session), packed_labels(session)
    # the session's own classes 1, 2 are labels 3 and 5; the exemplars of class 0 are label 7
    assert np.bincount(inner, minlength=10).tolist() == [0, 0, 0, 1000, 0, 1000, 0, 4, 0, 0]
    assert (packed == np.array([ORDER.index(c) for c in inner])).all()  # relabelled before packing
    assert (session.get_gt_labels() == packed).all()
    names = session.dataset.metainfo['classes']
    assert session.metainfo['classes'] == tuple(names[c] for c in ORDER)
    # the validation set of the classes seen so far: labels 7, 3, 5 only (not 0, the fourth)
    seen = ClassIncrementalDataset(TEST_SET, classes=3, class_order=ORDER)
    assert sorted(set(inner_labels(seen).tolist())) == [3, 5, 7] and len(seen) == 3000
    assert sorted(set(seen.get_gt_labels().tolist())) == [0, 1, 2]


def test_the_same_exemplars_with_and_without_a_class_order():
    # class 0 of the order is label 7: its exemplars are drawn as class 0's, by (seed, class)
    ordered = ClassIncrementalDataset(TEST_SET, classes=[1], exemplar_classes=1, exemplars_per_class=5,
                                      class_order=ORDER, seed=2)
    again = ClassIncrementalDataset(TEST_SET, classes=[1, 2], exemplar_classes=1, exemplars_per_class=5,
                                    class_order=ORDER, seed=2)
    assert ordered.exemplar_indices.tolist() == again.exemplar_indices.tolist()
    assert set(np.asarray(ordered.dataset.get_gt_labels())[ordered.exemplar_indices].tolist()) == {7}


def test_max_exemplars_cuts_the_memory_in_turn_from_each_class():
    full = ClassIncrementalDataset(TEST_SET, classes=[6], exemplar_classes=4, exemplars_per_class=5)
    cut = ClassIncrementalDataset(TEST_SET, classes=[6], exemplar_classes=4, exemplars_per_class=5, max_exemplars=6)
    assert len(full.exemplar_indices) == 20 and len(cut.exemplar_indices) == 6
    assert set(cut.exemplar_indices.tolist()) <= set(full.exemplar_indices.tolist())
    classes = np.asarray(cut.dataset.get_gt_labels())[cut.exemplar_indices]
    assert np.bincount(classes, minlength=4).tolist() in ([2, 2, 1, 1], [2, 1, 2, 1], [2, 1, 1, 2], [1, 2, 2, 1],
                                                            [1, 2, 1, 2], [1, 1, 2, 2])  # every old class kept
    assert len(cut) == 1000 + 6  # the session's own samples untouched


@pytest.mark.parametrize('kwargs, message', [
    (dict(classes=[0], class_order=[7, 3, 7]), r'class_order lists labels \[7\] more than once'),
    (dict(classes=[0], class_order=[]), 'class_order=\\[\\] must be a non-empty list'),
    (dict(classes=[0], class_order='7,3'), "class_order='7,3' names no published order: give one of "
                                           r"\['podnet-imagenet100', 'podnet-imagenet1000'\]"),
    (dict(classes=[0], class_order=7), 'class_order=7 must be a non-empty list'),
    (dict(classes=[0], class_order=[7, -3]), r'class_order=\[7, -3\] must be a non-empty list'),
    (dict(classes=[3, 4], class_order=ORDER), r'classes \[4\] are beyond the 4 classes of class_order'),
    (dict(classes=[0], exemplar_classes=[4], exemplars_per_class=1, class_order=ORDER),
     r'classes \[4\] are beyond the 4 classes of class_order'),
    (dict(classes=[1], class_order=[7, 12]), r'classes \[1\] \(inner labels \[12\] through class_order\) have no '
                                             r'sample'),
    (dict(classes=[1], max_exemplars=-1), 'max_exemplars=-1 must be an int >= 0'),
])
def test_bad_class_orders_and_cuts_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClassIncrementalDataset(TEST_SET, **kwargs)


@pytest.mark.parametrize('name, size, first', [('podnet-imagenet100', 100, (68, 56, 78, 8)),
                                               ('podnet-imagenet1000', 1000, (54, 7, 894, 512))])
def test_published_orders_are_permutations_of_their_labels(name, size, first):
    # PODNet's ImageNet-100 is ImageNet-1k labels 0-99; its orders start as the option files do
    order = CLASS_ORDERS[name]
    assert sorted(order) == list(range(size)) and order[:4] == first


def test_a_published_order_by_name_is_that_list():
    # class 23 of PODNet's ImageNet-100 order is label 1, which Fashion-MNIST holds; class 0 is label 68
    by_name = ClassIncrementalDataset(TEST_SET, classes=[23], class_order='podnet-imagenet100')
    assert by_name.class_order.tolist() == list(CLASS_ORDERS['podnet-imagenet100'])
    assert set(inner_labels(by_name).tolist()) == {1} and set(by_name.get_gt_labels().tolist()) == {23}
    with pytest.raises(ValueError, match=r'classes \[0\] \(inner labels \[68\] through class_order\) have no'):
        ClassIncrementalDataset(TEST_SET, classes=[0], class_order='podnet-imagenet100')
