"""New classes for a trained classifier layer (issue 24, item 2): ``grow`` keeps the old classes'
vectors and weights bit for bit, and ``grow_from_checkpoint=True`` loads a checkpoint of N classes
into the same layer built with N + M; everything else that differs is refused."""
import pytest
import torch
from mmengine.runner.checkpoint import load_checkpoint, save_checkpoint

from mmebv.classifiers import build_classifier
from mmebv.ebv import basis_checksum, extend_basis, generate_ebv, save_basis

C = 12
# the layers whose old classes keep their logits when classes are added
KEEPING = [
    dict(type='Fixed', basis=dict(type='EBV', seed=1, cache=False), embed_dim=8),  # N > d: refined extension
    dict(type='Fixed', basis=dict(type='EBV', seed=1, cache=False), embed_dim=32, bias=True),  # orthonormal
    dict(type='Fixed', basis=dict(type='SimplexETF'), embed_dim=16),
    dict(type='Fixed', basis=dict(type='Hadamard'), embed_dim=16),
    dict(type='Fixed', basis=dict(type='MaxSeparation'), embed_dim=16),
    dict(type='Grassmann', subspace_dim=3, seed=2),
    dict(type='LargestMargin'),
    dict(type='Linear'),
]


def case_id(cfg):
    return cfg['type'] + (f"-{cfg['basis']['type']}-d{cfg['embed_dim']}" if 'basis' in cfg else '')


def trained(cfg, num_classes, seed=0):
    """A layer as after training: its trainable tensors moved away from their start."""
    layer = build_classifier(cfg, C, num_classes)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in layer.parameters():
            param.add_(0.1 * torch.randn(param.shape, generator=generator))
    return layer


def features():
    return torch.randn(5, C, generator=torch.Generator().manual_seed(7))


@pytest.mark.parametrize('cfg', KEEPING, ids=case_id)
def test_a_grown_layer_gives_the_old_classes_the_same_logits(cfg):
    layer = trained(cfg, 6).eval()
    before = layer(features())
    representation = layer.class_representation().clone()
    layer.grow(10)
    after = layer(features())
    assert layer.num_classes == 10 and after.shape == (5, 10)
    assert torch.equal(layer.class_representation()[:6], representation)
    # the same vectors; the product over 10 columns may round its last bit otherwise than over 6
    torch.testing.assert_close(after[:, :6], before, rtol=1e-6, atol=1e-6)
    new = layer.class_representation()[6:]
    assert torch.isfinite(new).all() and not torch.equal(new[0], new[1])


def test_a_fixed_basis_grows_as_a_config_that_extends_it_builds_it():
    cfg = dict(type='Fixed', basis=dict(type='EBV', seed=1, cache=False), embed_dim=8)
    layer = build_classifier(cfg, C, 6)
    old = layer.basis.clone()
    layer.grow(10)
    assert torch.equal(layer.basis[:6], old)
    assert torch.equal(layer.basis, extend_basis(old, 10, seed=1))
    extended_cfg = dict(cfg, basis=dict(cfg['basis'], extend_from=[6]))
    assert torch.equal(build_classifier(extended_cfg, C, 10).basis, layer.basis)
    # its state dict loads into that config as it is
    build_classifier(extended_cfg, C, 10).load_state_dict(layer.state_dict())


def test_dml_crc_keeps_its_old_atoms_and_metric_but_its_collaborative_coding_moves_old_logits():
    layer = trained(dict(type='DMLCRC', atoms_per_class=2), 6).eval()
    atoms, metric, fc = layer.atoms.clone(), layer.metric.clone(), layer.fc.weight.clone()
    before = layer(features())
    layer.grow(8)
    assert layer.atoms.shape == (16, C) and layer.fc.weight.shape == (8, C)
    assert torch.equal(layer.atoms[:12], atoms) and torch.equal(layer.metric, metric)
    assert torch.equal(layer.fc.weight[:6], fc)
    assert not torch.allclose(layer(features())[:, :6], before, atol=1e-4)  # the codes use every atom


def test_grow_refuses_a_count_that_is_not_larger():
    layer = build_classifier(dict(type='LargestMargin'), C, 6)
    with pytest.raises(ValueError, match=r'grow\(6\): it holds 6 classes already'):
        layer.grow(6)
    with pytest.raises(ValueError, match='num_classes=2.5 must be an integer'):
        layer.grow(2.5)


def ebv_file(path, num_classes, dim, seed=0):
    save_basis(str(path), generate_ebv(num_classes, dim, seed=seed))
    return str(path)


def test_a_fixed_layer_grows_from_a_basis_file_that_extends_its_basis(tmp_path):
    old_file = ebv_file(tmp_path / 'old.pth', 6, 8)
    layer = build_classifier(dict(type='Fixed', basis=dict(type='EBV', file=old_file), embed_dim=8), C, 6)
    old = layer.basis.clone()
    extended = extend_basis(old, 10, budget=0)
    save_basis(str(tmp_path / 'new.pth'), extended, extends=dict(num_classes=6, checksum=basis_checksum(old)))
    layer.grow(10, basis_file=str(tmp_path / 'new.pth'))
    assert torch.equal(layer.basis, extended)
    other = ebv_file(tmp_path / 'other.pth', 12, 8, seed=5)
    layer = build_classifier(dict(type='Fixed', basis=dict(type='EBV', file=old_file), embed_dim=8), C, 6)
    with pytest.raises(ValueError, match=r'first 6 vectors of .*other.pth differ from this classifier\'s'):
        layer.grow(10, basis_file=other)
    with pytest.raises(ValueError, match='holds 10 vectors, fewer than 12'):
        layer.grow(12, basis_file=str(tmp_path / 'new.pth'))


@pytest.mark.parametrize('basis,dim', [(dict(type='SimplexETF', num_vectors=10), 16),
                                       (dict(type='EBV', num_vectors=10, cache=False), 8)], ids=['SimplexETF', 'EBV'])
def test_reserved_vectors_are_the_same_in_every_session_and_bound_the_growth(basis, dim):
    def fixed(n):  # EBV: 10 vectors in d = 8, refined for 10 classes from the start
        return build_classifier(dict(type='Fixed', basis=basis, embed_dim=dim), C, n)
    four, six = fixed(4), fixed(6)
    assert torch.equal(six.basis[:4], four.basis)
    four.grow(6)
    assert torch.equal(four.basis, six.basis)
    with pytest.raises(ValueError, match='reserves num_vectors=10'):
        four.grow(11)


# loading a checkpoint of fewer classes

def saved(layer, tmp_path):
    path = str(tmp_path / 'old.pth')
    save_checkpoint(layer.state_dict(), path)
    return path


GROWABLE = [
    dict(type='Fixed', basis=dict(type='EBV', seed=1, cache=False, extend_from=[6]), embed_dim=8, bias=True),
    dict(type='Fixed', basis=dict(type='SimplexETF', num_vectors=12), embed_dim=16),
    dict(type='Grassmann', subspace_dim=3, seed=2),
    dict(type='LargestMargin'),
    dict(type='DMLCRC', atoms_per_class=2),
    dict(type='Linear'),
]


# a tensor whose size is the feature size C, named when C differs
KEY_OF_C = dict(Fixed='projection.weight', Grassmann='subspaces', LargestMargin='weight', DMLCRC='atoms',
                Linear='weight')


def session_one(cfg):
    """The config of the first session: the same layer with 6 classes (extend_from is for later)."""
    if cfg['type'] == 'Fixed' and 'extend_from' in cfg['basis']:
        return dict(cfg, basis={k: v for k, v in cfg['basis'].items() if k != 'extend_from'})
    return cfg


@pytest.mark.parametrize('cfg', GROWABLE, ids=lambda cfg: cfg['type'])
def test_a_checkpoint_of_fewer_classes_loads_into_the_grown_model(cfg, tmp_path):
    old = trained(session_one(cfg), 6).eval()
    path = saved(old, tmp_path)
    grown = build_classifier(dict(cfg, grow_from_checkpoint=True), C, 10).eval()
    fresh = {k: v.clone() for k, v in grown.state_dict().items()}
    load_checkpoint(grown, path, strict=True)
    for key, per_class in grown.class_tensors().items():
        rows = 6 * per_class
        assert torch.equal(grown.state_dict()[key][:rows], old.state_dict()[key]), key
        assert torch.equal(grown.state_dict()[key][rows:], fresh[key][rows:]), key
    for key in set(grown.state_dict()) - set(grown.class_tensors()) - {'basis_origin'}:
        assert torch.equal(grown.state_dict()[key], old.state_dict()[key]), key
    if cfg['type'] != 'DMLCRC':  # collaborative coding: the old classes' logits depend on every atom
        torch.testing.assert_close(grown(features())[:, :6], old(features()), rtol=1e-6, atol=1e-6)
    # the grown model's own checkpoint resumes into the same config
    again = build_classifier(dict(cfg, grow_from_checkpoint=True), C, 10).eval()
    again.load_state_dict(grown.state_dict())
    assert torch.equal(again(features()), grown(features()))


def test_without_the_flag_a_checkpoint_of_fewer_classes_is_refused(tmp_path):
    cfg = GROWABLE[0]
    path = saved(trained(session_one(cfg), 6), tmp_path)
    with pytest.raises(ValueError, match='set grow_from_checkpoint=True'):
        load_checkpoint(build_classifier(cfg, C, 10), path)


def test_a_checkpoint_whose_vectors_the_config_does_not_extend_is_refused(tmp_path):
    base = dict(type='Fixed', basis=dict(type='EBV', seed=1, cache=False), embed_dim=8)
    path = saved(trained(base, 6), tmp_path)
    # a fresh basis of 10: its first 6 rows are not the checkpoint's
    with pytest.raises(ValueError, match=r'6 class vectors .* are not the first 6 rows .* extend_from=\[6\]'):
        load_checkpoint(build_classifier(dict(base, grow_from_checkpoint=True), C, 10), path)
    # another seed extended
    other = dict(base, basis=dict(type='EBV', seed=2, cache=False, extend_from=[6]), grow_from_checkpoint=True)
    with pytest.raises(ValueError, match='are not the first 6 rows'):
        load_checkpoint(build_classifier(other, C, 10), path)
    # adopting keeps the checkpoint's rows and adds the config's new ones
    adopted = build_classifier(dict(base, grow_from_checkpoint=True, adopt_checkpoint_basis=True), C, 10)
    new_rows = adopted.basis[6:].clone()
    load_checkpoint(adopted, path)
    assert torch.equal(adopted.basis[:6], trained(base, 6).basis) and torch.equal(adopted.basis[6:], new_rows)


@pytest.mark.parametrize('cfg', GROWABLE, ids=lambda cfg: cfg['type'])
def test_growing_refuses_more_classes_and_other_sizes_naming_the_key(cfg, tmp_path):
    path = saved(trained(session_one(cfg), 6), tmp_path)
    with pytest.raises(ValueError, match='holds 6 classes, more than the 4 this config builds'):
        load_checkpoint(build_classifier(dict(session_one(cfg), grow_from_checkpoint=True), C, 4), path)
    # loaded non-strictly, as mmengine's load_from does (it only warns about other shapes)
    wider = build_classifier(dict(cfg, grow_from_checkpoint=True), C + 4, 10)
    key = KEY_OF_C[cfg['type']]
    with pytest.raises(ValueError, match=rf'{key} (has shape \([^)]*{C}\) in the checkpoint|\(\d+, {C}\) vs)'):
        load_checkpoint(wider, path, strict=False)


def test_a_layer_without_per_class_tensors_says_it_cannot_grow():
    from mmebv.classifiers import ClassifierLayer

    class Constant(ClassifierLayer):  # a method that declares nothing per class

        def logits(self, x):
            return x[..., :1].expand(*x.shape[:-1], self.num_classes)

    with pytest.raises(TypeError, match='Constant cannot grow: it declares no per-class tensors'):
        Constant(C, 3).grow(4)
    with pytest.raises(TypeError, match='Constant cannot grow'):
        Constant(C, 4, grow_from_checkpoint=True).load_state_dict({})
