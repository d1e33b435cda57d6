"""The model zoo: model-index.yml (mmpretrain's format) lists every config once, every number says
where it comes from, and mmpretrain's model hub reads it."""
import glob
import os.path as osp

import yaml
from helpers import ROOT
from modelindex.load_model_index import load


def configs_on_disk() -> set:
    return {osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
            if '_base_' not in p}


def test_the_index_lists_every_config_once_and_every_number_names_its_source():
    index = load(osp.join(ROOT, 'model-index.yml'))
    index.build_models_with_collections()
    listed = [model.config for model in index.models]
    assert sorted(listed) == sorted(configs_on_disk())
    for path in glob.glob(osp.join(ROOT, 'configs', '*', 'metafile.yml')):
        with open(path, encoding='utf-8') as f:
            for model in yaml.safe_load(f)['Models']:
                source = model['Metadata'].get('Results Source', '')
                if model.get('Results'):
                    assert 'measured here' in source or 'not run here' in source, model['Name']
                assert osp.isfile(osp.join(osp.dirname(path), 'README.md'))


def test_mmpretrain_model_hub_finds_and_builds_an_mmebv_model():
    from mmpretrain.apis import ModelHub, get_model
    if not ModelHub.has('resnet50_ebv_8xb128-105e_in1k'):
        ModelHub.register_model_index(osp.join(ROOT, 'model-index.yml'), config_prefix=ROOT)
    info = ModelHub.get('resnet50_ebv_8xb128-105e_in1k')
    assert info.results[0].metrics['Top 1 Accuracy'] == 78.99
    model = get_model('smallconvnet_ebv_1xb128-5e_fashion-mnist')
    assert type(model.head).__name__ == 'EBVClsHead'
