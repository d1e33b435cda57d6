#!/usr/bin/env python
"""Write the generated pages: ``model_zoo.md`` from ``configs/*/metafile.yml`` (the files mim and the
hosts' model hubs read) and ``notes/compatibility.md`` from ``mmebv/compatibility.py``.

Run by ``conf.py`` at every build; never edit the pages it writes.

    python docs/en/stat.py
"""
import os
import os.path as osp
import runpy
from typing import List, Optional

import yaml

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))


def _scaled(value: Optional[float], unit: float) -> str:
    return '-' if value is None else f'{value / unit:.2f}'


def _metrics(model: dict) -> str:
    cells = []
    for result in model.get('Results') or []:
        for name, value in (result.get('Metrics') or {}).items():
            cells.append(f'{name}: {value}')
    return '<br>'.join(cells) or '-'


def _source(model: dict) -> str:
    source = (model.get('Metadata') or {}).get('Results Source', '')
    if 'measured here' in source:
        return 'measured here'
    return 'the authors (not run here)' if source else '-'


def copy_readme(folder: str) -> str:
    """Copy ``configs/<folder>/README.md`` to ``papers/<folder>.md``; return the page's name."""
    with open(osp.join(ROOT, 'configs', folder, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    os.makedirs(osp.join(HERE, 'papers'), exist_ok=True)
    with open(osp.join(HERE, 'papers', f'{folder}.md'), 'w', encoding='utf-8') as f:
        f.write(f'<!-- generated from configs/{folder}/README.md by docs/en/stat.py -->\n\n' + text)
    return f'papers/{folder}'


def model_zoo_lines() -> List[str]:
    """The model zoo page: one table per metafile, in model-index.yml's order."""
    with open(osp.join(ROOT, 'model-index.yml'), encoding='utf-8') as f:
        metafiles = yaml.safe_load(f)['Import']
    models, pages = [], []
    lines = ['# Model zoo', '',
             'Generated from `configs/*/metafile.yml` by `docs/en/stat.py` at every build. Each model is the',
             'config of the same name under `configs/`. A result either was "measured here" (the command is in',
             'the folder\'s page) or is the authors\' figure, "not run here".',
             'Parameters and FLOPs were counted with `python tools/analysis_tools/get_flops.py CONFIG` at the',
             "config's input size. Weights are listed only where a file exists.", '']
    body = []
    for metafile in metafiles:
        with open(osp.join(ROOT, metafile), encoding='utf-8') as f:
            meta = yaml.safe_load(f)
        collection = meta['Collections'][0]
        paper = collection.get('Paper') or {}
        folder = osp.basename(osp.dirname(metafile))
        with_weights = (' weights |', '---|') if any(m.get('Weights') for m in meta['Models']) else ('', '')
        pages.append(copy_readme(folder))
        title = paper.get('Title', collection['Name'])
        cite = f'[{title}]({paper["URL"]})' if paper.get('URL') else title
        body += [f'## {collection["Name"]}', '',
                 f'{cite} · the configs and their results: [configs/{folder}](papers/{folder}.md)', '',
                 '| model | trained on | params (M) | FLOPs (G) | results | source |' + with_weights[0],
                 '|---|---|---|---|---|---|' + with_weights[1]]
        for model in meta['Models']:
            models.append(model)
            meta_data = model.get('Metadata') or {}
            weights = (f' [file]({model["Weights"]}) |' if model.get('Weights') else ' - |') if with_weights[0] else ''
            body.append(f'| {model["Name"]} | {meta_data.get("Training Data", "-")} | '
                        f'{_scaled(meta_data.get("Parameters"), 1e6)} | {_scaled(meta_data.get("FLOPs"), 1e9)} | '
                        f'{_metrics(model)} | {_source(model)} |{weights}')
        body.append('')
    measured = sum('measured here' in (m.get('Metadata') or {}).get('Results Source', '') for m in models)
    lines += [f'{len(models)} configs in {len(metafiles)} folders; {measured} with results measured here.', '']
    toc = ['', '```{toctree}', ':hidden:', '', *pages, '```', '']
    return lines + body + toc


def compatibility_lines() -> List[str]:
    """The compatibility page: the tested stack and the supported ranges of mmebv/compatibility.py."""
    stack = runpy.run_path(osp.join(ROOT, 'mmebv', 'compatibility.py'))
    lines = ['# Compatibility', '',
             'Generated from `mmebv/compatibility.py` (the one place the versions are written) by `docs/en/stat.py`.',
             '`tools/install.sh` installs the tested versions; each glue package (`mmebv.cls`, `mmebv.det`,',
             '`mmebv.seg`, `mmebv.engine`) warns when a package it uses is outside its supported range, and',
             '`mmebv.det` / `mmebv.seg` refuse an mmcv outside it.', '',
             '| package | tested | supported |', '|---|---|---|']
    for name, tested in stack['TESTED'].items():
        low, high = stack['SUPPORTED'].get(name, (None, None))
        span = ', '.join(part for part in (low and f'>= {low}', high and f'< {high}') if part) or 'any'
        lines.append(f'| {name} | {tested} | {span if name in stack["SUPPORTED"] else "the one matching torch"} |')
    return lines + ['', 'Tested on CPU (x86_64, Python 3.11); the GPU path is not exercised by CI.', '']


def main() -> None:
    for path, lines in (('model_zoo.md', model_zoo_lines()), ('notes/compatibility.md', compatibility_lines())):
        with open(osp.join(HERE, path), 'w', encoding='utf-8') as f:
            f.write('\n'.join(lines))
        print(f'wrote docs/en/{path}')


if __name__ == '__main__':
    main()
