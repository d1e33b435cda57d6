"""Bad input fails with a message that names the problem and the fix."""
import sys

import pytest
import torch
from mmengine.config import Config

from mmebv.classifiers import FixedClassifier
from mmebv.utils.compiled_ops import require_mmcv_ops
from mmebv.utils.custom_imports import check_custom_imports, registered_by


def test_missing_compiled_ops_say_how_to_install_them(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmcv.ops', None)  # makes `import mmcv.ops` raise ImportError
    with pytest.raises(ImportError, match=r'need mmcv with compiled ops.*tools/install\.sh'):
        require_mmcv_ops('detection')


def test_config_without_custom_imports_names_the_module(monkeypatch):
    monkeypatch.delitem(sys.modules, 'mmebv.seg', raising=False)
    cfg = Config(dict(model=dict(type='EncoderDecoder', decode_head=dict(type='EBVUPerHead')),
                      unrelated=dict(type='EBVFPNHead')))
    with pytest.raises(ImportError, match=r"uses EBVUPerHead but does not import mmebv\.seg: add "
                                          r"custom_imports = dict\(imports=\['mmebv\.seg'\]"):
        check_custom_imports(cfg)
    monkeypatch.setitem(sys.modules, 'mmebv.seg', object())
    check_custom_imports(cfg)


def test_the_import_map_matches_the_registries():
    from mmdet.registry import MODELS as DET
    from mmengine.registry import HOOKS, OPTIMIZERS
    from mmpretrain.registry import DATASETS, MODELS
    from mmseg.registry import MODELS as SEG

    import mmebv.cls  # noqa: F401
    import mmebv.det  # noqa: F401
    import mmebv.engine  # noqa: F401
    import mmebv.seg  # noqa: F401
    registered = {}
    for registry in (DET, HOOKS, OPTIMIZERS, DATASETS, MODELS, SEG):
        for name, cls in registry.module_dict.items():
            if cls.__module__.startswith('mmebv.'):
                registered[name] = cls.__module__
    where = registered_by()
    assert set(registered) <= set(where), set(registered) - set(where)
    glue = ('mmebv.cls', 'mmebv.det', 'mmebv.seg', 'mmebv.engine')
    # a class defined in a glue package is registered by that package (core classes by the glue
    # that registers them, e.g. mmebv.grassmann's RiemannianSGD by mmebv.engine)
    assert all(registered[name].startswith(where[name]) for name in registered if registered[name].startswith(glue))


def test_a_checkpoint_with_another_basis_is_refused_unless_adopted():
    trained = FixedClassifier(8, 5, embed_dim=8, basis=dict(seed=0))
    with pytest.raises(ValueError, match=r"checkpoint's basis .* is not the one this config builds.*"
                                         r"adopt_checkpoint_basis=True"):
        FixedClassifier(8, 5, embed_dim=8, basis=dict(seed=1)).load_state_dict(trained.state_dict())
    with pytest.raises(ValueError, match='is not the one this config builds'):
        FixedClassifier(8, 6, embed_dim=8).load_state_dict(trained.state_dict())
    adopted = FixedClassifier(8, 6, embed_dim=8, basis=dict(seed=1), adopt_checkpoint_basis=True)
    adopted.load_state_dict(trained.state_dict())
    assert torch.equal(adopted.basis, trained.basis) and adopted.num_classes == 5


def test_a_basis_equal_up_to_rounding_loads_bit_exactly():
    trained = FixedClassifier(8, 5, embed_dim=8)
    state = trained.state_dict()
    state['basis'] = state['basis'] + 1e-7  # as if generated on other hardware
    model = FixedClassifier(8, 5, embed_dim=8)
    model.load_state_dict(state)
    assert torch.equal(model.basis, state['basis'])


def test_a_basis_built_from_the_same_arguments_elsewhere_loads_with_a_warning():
    trained = FixedClassifier(8, 12, embed_dim=6, basis=dict(seed=0))  # N > d: a refined basis
    state = trained.state_dict()
    state['basis'] = torch.nn.functional.normalize(state['basis'] + 0.05 * torch.randn(12, 6), dim=1)  # other rounding
    here = FixedClassifier(8, 12, embed_dim=6, basis=dict(seed=0))
    with pytest.warns(UserWarning, match="built from the same arguments .* using the checkpoint's"):
        here.load_state_dict(state)
    assert torch.equal(here.basis, state['basis'])
    with pytest.raises(ValueError, match='is not the one this config builds'):  # other arguments: refused
        FixedClassifier(8, 12, embed_dim=6, basis=dict(seed=1)).load_state_dict(state)
    del state['basis_origin']  # as mmebv 0.1 saved it: no origin, so no way to tell
    with pytest.raises(ValueError, match='is not the one this config builds'):
        FixedClassifier(8, 12, embed_dim=6, basis=dict(seed=0)).load_state_dict(state)
