"""Convert the EBV authors' ResNet-50 or Swin-T checkpoint into an mmebv classification checkpoint.

    python tools/model_converters/ebv_official_to_mmebv.py EBV_ResNet_dim1000_SGD_epoch605.pth \
        --basis eq_1000_1000.pkl checkpoints/ebv_official_resnet50.pth [--arch resnet50|swin-t]

Their checkpoint is a bare state dict of a timm model saved through nn.DataParallel (keys
``module.backbone.<timm key>``) whose classifier is the projection to the basis's d dims; the basis
is not in it, so ``--basis`` names it: their ``eq_<d>_<N>.pkl`` (converted next to OUT as
``<OUT>.basis.pth``, see ebv_official_basis.py) or an mmebv basis file. The checkpoint is read with
torch's safe loading, on the CPU. The result holds ``backbone.*`` in mmpretrain's layout,
``head.classifier.projection.*`` and ``head.classifier.basis``; it is checked key for key and shape
for shape against the model the EBV ImageNet config builds (``--config``), and the tool prints the
``--cfg-options`` that make that config build exactly this basis, for tools/test.py and for the
downstream ``*-ebv-pre_*`` configs.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402

from ebv_official_checkpoint import ARCHS, OfficialCheckpointError, convert_official_checkpoint  # noqa: E402
from ebv_official_pickle import OfficialBasisError, import_official_basis  # noqa: E402

from mmebv.ebv import BasisFileError, load_basis  # noqa: E402
from mmebv.ebv.io import looks_like_authors_pickle  # noqa: E402
from mmebv.engine.safe_loading import CheckpointError, load_checkpoint_file  # noqa: E402
from mmebv.utils.files import file_sha256, output_problem, replace_atomically  # noqa: E402

CONFIGS = {'resnet50': 'configs/ebv/resnet50_ebv_8xb128-105e_in1k.py',
           'swin-t': 'configs/ebv/swin-tiny_ebv_8xb128-105e_in1k.py'}
DOWNSTREAM = {
    'resnet50': ['configs/mask_rcnn/mask-rcnn_r50-ebv-pre_ebv_1x_coco.py',
                 'configs/mask_rcnn/mask-rcnn_r50-ebv-pre_fc_1x_coco.py',
                 'configs/upernet/upernet_r50-ebv-pre_ebv_4xb4-160k_ade20k-512x512.py',
                 'configs/upernet/upernet_r50-ebv-pre_fc_4xb4-160k_ade20k-512x512.py'],
    'swin-t': ['configs/mask_rcnn/mask-rcnn_swin-t-p4-w7-ebv-pre_ebv_1x_coco.py',
               'configs/upernet/upernet_swin-t-p4-w7-ebv-pre_ebv_8xb2-160k_ade20k-512x512.py'],
}
# The authors' evaluation (EBV_ImageNet.py with presets.ClassificationPresetEval): PIL bilinear
# resize of the short side to 256, then a 256 x 256 centre crop. The recipe config's test pipeline
# is [LoadImageFromFile, ResizeEdge(256, pillow, bilinear), CenterCrop(224), PackInputs].
AUTHORS_EVAL = {'resnet50': ['test_dataloader.dataset.pipeline.1.backend=pillow',
                             'test_dataloader.dataset.pipeline.2.crop_size=256']}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help="the authors' checkpoint (.pth)")
    parser.add_argument('--basis', required=True,
                        help="the basis it was trained with: the authors' eq_<d>_<N>.pkl or an mmebv basis file")
    parser.add_argument('out', help='the mmebv checkpoint to write (.pth)')
    parser.add_argument('--arch', choices=ARCHS, help='the network (default: read from the keys)')
    parser.add_argument('--config', help='the config to check against (default: the EBV ImageNet config of --arch)')
    parser.add_argument('--force', action='store_true', help='replace OUT (and its converted basis) if they exist')
    return parser.parse_args()


def cfg_options(basis: torch.Tensor, basis_file: str) -> dict:
    """The overrides that make the EBV config build exactly this basis, with its sizes."""
    n, d = basis.shape
    return {'model.head.num_classes': n, 'model.head.classifier.embed_dim': d,
            'model.head.classifier.basis.file': basis_file}


def check_against_config(state: dict, config: str, options: dict, basis_file: str) -> None:
    """Build ``config`` with ``options`` and load ``state`` into it strictly, naming every difference;
    adds to ``state`` the classifier's ``basis_origin`` record the config derives, naming
    ``basis_file`` (where the basis the check read will be moved) as the file it came from."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    from mmebv.classifiers.fixed_classifier import decode_origin, encode_origin
    from mmebv.engine import check_weights_match

    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    # the record of what built the basis (the classifier's basis_origin buffer: the converted file, its
    # sizes) is derived by the config and not in the authors' checkpoint: taken from the model built
    expected = model.state_dict()
    for key in [key for key in expected if key.endswith('basis_origin') and key not in state]:
        origin = decode_origin(expected[key])
        state[key] = encode_origin(dict(origin, file=basis_file) if origin.get('file') else origin)
    check_weights_match(model, state, 'the converted checkpoint',
                        advice=f'Is {config} the config of this network (--arch, --config)?')
    # buffers that are a function of the architecture alone must come out the same
    index = [k for k in sorted(set(state) & set(expected)) if k.endswith('relative_position_index')
             and state[k].shape == expected[k].shape and not torch.equal(state[k], expected[k])]
    if index:
        raise OfficialCheckpointError(f'the converted checkpoint does not fit {config}: index differs '
                                      f'({len(index)}): {index[:6]}')


def main() -> None:
    args = parse_args()
    if osp.abspath(args.out) == osp.abspath(args.checkpoint):
        sys.exit('error: OUT is the input checkpoint: choose another name')
    official = looks_like_authors_pickle(args.basis)
    # the authors' pickle is converted next to OUT
    new_basis = osp.splitext(args.out)[0] + '.basis.pth' if official else None
    for path, name in ((args.out, 'OUT'), (new_basis, 'the converted basis')):
        problem = path and output_problem(path, args.force, name, 'nothing was converted')
        if problem:
            sys.exit(f'error: {problem}.')
    if official and osp.abspath(args.basis) == osp.abspath(new_basis):
        sys.exit(f'error: --basis is {new_basis}, where the converted basis would go: rename it')
    try:
        checkpoint = load_checkpoint_file(args.checkpoint)
    except CheckpointError as error:
        sys.exit(f'error: {error}. The authors\' checkpoints are state dicts of tensors, which torch\'s safe '
                 f'loading reads (safe loading stays on)')
    # written under temporary names, moved into place only once everything has passed
    out_tmp = f'{args.out}.tmp-{os.getpid()}'
    basis_tmp = f'{new_basis}.tmp-{os.getpid()}' if official else None
    try:
        if official:
            import_official_basis(args.basis, basis_tmp)
        checked_basis = basis_tmp if official else args.basis  # the file the config check reads
        basis = load_basis(checked_basis)[0]
        state, arch = convert_official_checkpoint(checkpoint, basis, args.arch)
        config = args.config or osp.join(ROOT, CONFIGS[arch])
        basis_file = new_basis if official else args.basis
        check_against_config(state, config, cfg_options(basis, checked_basis), basis_file)
        meta = dict(source=osp.basename(args.checkpoint), source_sha256=file_sha256(args.checkpoint), arch=arch,
                    basis_file=basis_file, converted_by='tools/model_converters/ebv_official_to_mmebv.py')
        torch.save(dict(state_dict=state, meta=meta), out_tmp)
        replace_atomically(out_tmp, args.out)
        if official:
            replace_atomically(basis_tmp, new_basis)
            print(f'converted the basis {args.basis} into {new_basis}')
    except (OfficialBasisError, BasisFileError, OfficialCheckpointError, CheckpointError, ValueError,
            FileNotFoundError) as error:
        sys.exit(f'error: {error}')
    finally:
        for leftover in (basis_tmp, out_tmp):
            if leftover and osp.exists(leftover):
                os.remove(leftover)
    options = [f'{key}={value}' for key, value in cfg_options(basis, basis_file).items()]
    n, d = basis.shape
    config_name = osp.relpath(config, ROOT) if config.startswith(ROOT) else config
    projection = tuple(state['head.classifier.projection.weight'].shape)
    backbone = sum(key.startswith('backbone.') for key in state)
    print(f'{arch}: {backbone} backbone tensors, projection {projection} (d x C), basis N = {n}, d = {d}; '
          f'checked against {config_name}')
    print(f'wrote {args.out}')
    print('evaluate it (these options build exactly this basis):')
    print(f'  python tools/test.py {config_name} {args.out} --cfg-options {" ".join(options)}')
    if arch in AUTHORS_EVAL:
        print("  the authors' evaluation (PIL resize to 256, 256 x 256 centre crop): add "
              + ' '.join(AUTHORS_EVAL[arch]))
    print('start detection / segmentation from its backbone:')
    for downstream in DOWNSTREAM[arch]:
        print(f'  python tools/train.py {downstream} --cfg-options model.backbone.init_cfg.checkpoint={args.out}')


if __name__ == '__main__':
    main()
