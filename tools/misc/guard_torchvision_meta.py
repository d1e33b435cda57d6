"""Let a torchvision wheel built for CUDA torch import beside a CPU-only torch.

PyPI's torchvision wheels are built against CUDA torch. Beside a CPU torch their compiled ops do not
load, and two unguarded ``@torch.library.register_fake("torchvision::nms"/"qnms")`` decorators in
``torchvision/_meta_registrations.py`` then raise at import ("operator torchvision::nms does not
exist"). This rewrites those two decorators so that they register only when torchvision's ops are
loaded, exactly as the file already does for every other op. Transforms, datasets and box utilities
then work; torchvision's own nms/roi_align stay unavailable (mmcv's are used instead).

Idempotent; does nothing when torchvision already imports. Run by tools/install.sh.
"""
import importlib.util
import os.path as osp
import sys

GUARD = 'torchvision.extension._has_ops()'


def main() -> int:
    spec = importlib.util.find_spec('torchvision')
    if spec is None:
        print('torchvision is not installed', file=sys.stderr)
        return 1
    path = osp.join(spec.submodule_search_locations[0], '_meta_registrations.py')
    with open(path) as f:
        source = f.read()
    patched = source
    for op in ('nms', 'qnms'):
        old = f'@torch.library.register_fake("torchvision::{op}")\n'
        new = (f'@(torch.library.register_fake("torchvision::{op}") if {GUARD} '
               f'else (lambda fn: fn))  # guarded by mmebv\n')
        patched = patched.replace(old, new)
    if patched == source:
        print(f'{path}: nothing to guard (already guarded, or a torchvision this script does not know)',
              file=sys.stderr)
        return 1
    with open(path, 'w') as f:
        f.write(patched)
    print(f'guarded the nms/qnms fake registrations in {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
