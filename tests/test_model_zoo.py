"""The model zoo: model-index.yml (mmpretrain's format) lists every config once, every number says
where it comes from, the metafiles carry the fields the hosts' tools read, and importing the glue
makes mmebv's classification models known to mmpretrain's own APIs by name."""
import glob
import os.path as osp
import re

import numpy as np
import pytest
import yaml
from helpers import ROOT
from modelindex.load_model_index import load


def configs_on_disk() -> set:
    """Every config but the bases and the class-incremental sessions, which are one recipe's steps (each
    starts from the previous session's checkpoint), not models of their own."""
    return {osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
            if '_base_' not in p and not osp.relpath(p, ROOT).startswith(osp.join('configs', 'incremental'))}


def metafiles() -> list:
    """(path, parsed yaml) of every metafile model-index.yml imports."""
    with open(osp.join(ROOT, 'model-index.yml'), encoding='utf-8') as f:
        paths = yaml.safe_load(f)['Import']
    assert sorted(paths) == sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '*',
                                                                                       'metafile.yml')))
    out = []
    for path in paths:
        with open(osp.join(ROOT, path), encoding='utf-8') as f:
            out.append((path, yaml.safe_load(f)))
    return out


def test_the_index_lists_every_config_once_and_every_number_names_its_source():
    index = load(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    listed = [model.config for model in index.models]
    assert sorted(listed) == sorted(configs_on_disk())
    for path, meta in metafiles():
        for model in meta['Models']:
            assert osp.basename(model['Config']) == model['Name'] + '.py'
            source = model['Metadata'].get('Results Source', '')
            if any(result['Metrics'] for result in model['Results']):
                assert 'measured here' in source or 'not run here' in source, model['Name']
            assert osp.isfile(osp.join(osp.dirname(osp.join(ROOT, path)), 'README.md'))


def test_metafiles_carry_the_fields_the_hosts_tools_read():
    for path, meta in metafiles():
        for collection in meta['Collections']:
            url = collection['Code']['URL']
            if collection['Name'] == 'ArcFace-baseline':  # mmpretrain's own head, used as it is
                assert url.startswith('https://github.com/open-mmlab/mmpretrain/'), url
            else:  # the layer that implements the method, in this repository
                assert osp.isfile(osp.join(ROOT, url)), f'{path}: Code.URL {url} is not a file of mmebv'
        for model in meta['Models']:
            data = model['Metadata']
            assert data['Training Resources'], model['Name']
            assert model['Results'] and all(result['Task'] and result['Dataset'] for result in model['Results'])
            if all(result['Task'] == 'Image Classification' for result in model['Results']):
                # mmpretrain's docs/en/stat.py divides these: numbers, as get_flops.py measured them
                assert isinstance(data['FLOPs'], int) and isinstance(data['Parameters'], int), model['Name']
                assert 1e7 < data['FLOPs'] < 1e11 and 1e5 < data['Parameters'] < 1e8, model['Name']
            weights = model.get('Weights')
            assert weights is None or weights.startswith('https://') or osp.isfile(osp.join(ROOT, weights))


def test_default_pretrained_paths_are_what_the_documented_converter_writes():
    """publish_model.py adds a hash to the names it writes, so a default must be the converter's output."""
    with open(osp.join(ROOT, 'docs', 'en', 'advanced_guides', 'authors_files.md'), encoding='utf-8') as f:
        guide = f.read()
    written = set(re.findall(r'ebv_official_to_mmebv\.py[^`]*?(checkpoints/\S+\.pth)', guide))
    for name in ('ebv_pretrained_resnet50.py', 'ebv_pretrained_swin_tiny.py'):
        with open(osp.join(ROOT, 'configs', '_base_', 'models', name), encoding='utf-8') as f:
            default = re.search(r"^ebv_pretrained\w* = '([^']+)'", f.read(), re.M).group(1)
        assert default in written, f'{name}: {default} is written by no documented converter command'


def test_mmpretrain_finds_mmebv_classification_models_by_name_after_importing_the_glue():
    import mmebv.cls  # noqa: F401
    from mmpretrain import get_model, list_models
    from mmpretrain.apis import ModelHub
    ebv = list_models('*ebv*')
    assert {'resnet50_ebv_8xb128-105e_in1k', 'smallconvnet_ebv_1xb128-5e_fashion-mnist'} <= set(ebv)
    assert not [name for name in ebv if 'coco' in name or 'ade20k' in name]  # mmdet/mmseg models stay out
    assert 'resnetv1d50_gcr_8xb32-coslr-100e_in1k' in list_models(task='Image Classification')
    assert 'resnet50_8xb32_in1k' in list_models('resnet50_8xb32_in1k')  # mmpretrain's own models still there
    assert ModelHub.get('resnet50_ebv_8xb128-105e_in1k').results[0].metrics['Top 1 Accuracy'] == 78.99
    model = get_model('smallconvnet_ebv_1xb128-5e_fashion-mnist')
    assert type(model.head).__name__ == 'EBVClsHead'


def test_mmpretrain_inferencers_take_an_mmebv_model_name(tmp_path):
    import mmebv.cls  # noqa: F401
    import torch
    from mmpretrain import ImageClassificationInferencer, get_model, inference_model
    name = 'smallconvnet_ebv_1xb128-5e_fashion-mnist'
    checkpoint = str(tmp_path / 'weights.pth')
    torch.save({'state_dict': get_model(name).state_dict(), 'meta': {}}, checkpoint)
    image = np.random.default_rng(0).integers(0, 255, (28, 28, 3), dtype=np.uint8)  # a colour image file's array
    result = ImageClassificationInferencer(name, pretrained=checkpoint)(image)[0]
    assert 0 <= result['pred_label'] < 10 and len(result['pred_scores']) == 10
    assert inference_model(name, image, pretrained=checkpoint)['pred_label'] == result['pred_label']


def test_any_mmebv_model_is_found_by_name_with_its_config():
    from mmebv.cls.model_index import find
    entry = find('mask-rcnn_r50_ebv_coco')
    assert osp.isfile(entry.config) and entry.config.endswith('configs/mask-rcnn_r50_ebv_coco.py')
    with pytest.raises(ValueError, match="no mmebv model is named 'no-such-model'"):
        find('no-such-model')
