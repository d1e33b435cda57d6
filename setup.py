"""mmebv: install with `bash tools/install.sh` (the OpenMMLab stack, then this package, editable).

torch and mmcv are deliberately not in install_requires: installing mmebv never replaces them.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    with open(osp.join(ROOT, 'requirements', name)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def tested_stack() -> list:
    """The OpenMMLab packages at the versions mmebv/compatibility.py names (the ``mim`` extra); torch, mmcv
    and torchvision (whose wheels pin one torch) are left out, as everywhere in install_requires."""
    scope = {}
    with open(osp.join(ROOT, 'mmebv', 'compatibility.py')) as f:
        exec(compile(f.read(), 'compatibility.py', 'exec'), scope)
    left_out = ('torch', 'mmcv', 'torchvision')
    return [f'{name}=={version}' for name, version in scope['TESTED'].items() if name not in left_out]


def get_version() -> str:
    scope = {}
    with open(osp.join(ROOT, 'mmebv', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def add_mim_extension() -> None:
    """Put tools/, configs/ and model-index.yml under mmebv/.mim/, where mim looks for them.

    Editable installs get symlinks (edits show at once); other installs get copies.
    """
    if 'develop' in sys.argv or any(arg.startswith('editable') for arg in sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'install', 'build', 'build_py'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(ROOT, 'mmebv', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('tools', 'configs', 'model-index.yml'):
        src, dst = osp.join(ROOT, name), osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isfile(src):
            shutil.copyfile(src, dst)
        else:
            shutil.copytree(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmebv',
        version=get_version(),
        description='Equiangular Basis Vectors and other fixed and geometric classifiers for '
        'mmpretrain, mmdet and mmseg',
        long_description=open(osp.join(ROOT, 'README.md'), encoding='utf-8').read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        include_package_data=True,
        package_data={'mmebv': ['.mim/**/*']},
        install_requires=read_requirements('runtime.txt'),
        extras_require={
            'tests': read_requirements('tests.txt'),
            'docs': read_requirements('docs.txt'),
            'mim': tested_stack(),
        },
        zip_safe=False)
