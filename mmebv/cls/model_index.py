"""mmebv's model index (``model-index.yml`` and ``configs/*/metafile.yml``) in the hosts' model hubs.

Importing :mod:`mmebv.cls` calls :func:`register_with_mmpretrain`, so that mmpretrain's own APIs find
mmebv's classification models by name::

    import mmebv.cls
    from mmpretrain import get_model, list_models
    list_models('*ebv*')
    model = get_model('smallconvnet_ebv_1xb128-5e_fashion-mnist', pretrained='epoch_5.pth')

Only models whose results are all 'Image Classification' go into mmpretrain's hub. mmdet and mmseg
have no such hub (their inferencers read the ``model-index.yml`` of their own installed package):
:func:`find` returns any mmebv model's entry, detection and segmentation included, whose ``config``
and ``weights`` those inferencers take.
"""
import os.path as osp
import warnings
from typing import List, Optional

CLASSIFICATION = 'Image Classification'
_PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))  # .../mmebv


def index_path() -> str:
    """The ``model-index.yml`` of this mmebv: in ``mmebv/.mim/`` when installed (where ``setup.py`` puts
    it, with ``configs/`` beside it), else at the root of the source checkout."""
    for path in (osp.join(_PACKAGE, '.mim', 'model-index.yml'), osp.join(osp.dirname(_PACKAGE), 'model-index.yml')):
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'mmebv\'s model-index.yml is neither in {osp.join(_PACKAGE, ".mim")} nor in '
                            f'{osp.dirname(_PACKAGE)}: reinstall mmebv with `bash tools/install.sh`')


def load_models(path: Optional[str] = None) -> list:
    """Every model of the index, with its collection's fields merged in and its ``config`` an absolute path.

    Args:
        path (str, optional): a ``model-index.yml``. Defaults to :func:`index_path`.

    Returns:
        list[modelindex.models.Model.Model]: the models, in the index's order.
    """
    from modelindex.load_model_index import load
    path = path or index_path()
    index = load(path)
    index.build_models_with_collections()
    root = osp.dirname(osp.abspath(path))
    for model in index.models:
        if model.config and not osp.isabs(model.config):
            model.config = osp.join(root, model.config)
    return list(index.models)


def tasks(model) -> List[str]:
    """The tasks of a model's results (``Results[].Task``), in order."""
    return [result.task for result in (model.results or [])]


def is_classification(model) -> bool:
    """True when the model has results and all of them are 'Image Classification'."""
    found = tasks(model)
    return bool(found) and all(task == CLASSIFICATION for task in found)


def find(name: str, path: Optional[str] = None):
    """The index entry of the mmebv model ``name`` (any task).

    Args:
        name (str): the model's name, e.g. 'mask-rcnn_r50_ebv_coco' (case-insensitive).
        path (str, optional): a ``model-index.yml``. Defaults to :func:`index_path`.

    Returns:
        modelindex.models.Model.Model: with ``config`` (an absolute path) and ``weights`` (or None).
    """
    models = load_models(path)
    for model in models:
        if model.name.lower() == name.lower():
            return model
    raise ValueError(f'no mmebv model is named {name!r}; the names are those of model-index.yml, e.g. '
                     f'{", ".join(m.name for m in models[:3])}')


def register_with_mmpretrain(path: Optional[str] = None) -> List[str]:
    """Add mmebv's classification models to mmpretrain's ``ModelHub`` (used by ``get_model``,
    ``list_models``, ``inference_model`` and the inferencers). Calling it again changes nothing.

    Args:
        path (str, optional): a ``model-index.yml``. Defaults to :func:`index_path`.

    Returns:
        list[str]: the names now registered by mmebv.
    """
    from mmpretrain.apis import ModelHub
    registered = []
    for model in load_models(path):
        if not is_classification(model):
            continue
        name = model.name.lower()
        known = ModelHub._models_dict.get(name)  # the hub's own table: it offers no per-model registration
        if known is not None and known.config != model.config:
            raise ValueError(f'the model name {name!r} of mmebv ({model.config}) is already registered in '
                             f'mmpretrain\'s ModelHub for {known.config}')
        ModelHub._models_dict[name] = model
        registered.append(name)
    return registered


try:  # registration by import, as for every other module of mmebv.cls
    register_with_mmpretrain()
except FileNotFoundError as error:  # the heads still work; only the names are unknown to mmpretrain
    warnings.warn(f'mmebv models are not registered with mmpretrain: {error}', stacklevel=2)
