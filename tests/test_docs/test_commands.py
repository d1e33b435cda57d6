"""Every documented command is a test: the ``bash``/``shell`` blocks of README.md and docs/en/**/*.md
run exactly as written, page by page, on tiny data (``MMEBV_SMOKE=1``, two samples per dataset:
docs/en/notes/testing.md); a block that cannot run here carries ``<!-- not run in CI: REASON -->`` on
the line before it."""
import glob
import os
import os.path as osp
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import List, Optional

import pytest
from helpers import ROOT, user_env

MARK = re.compile(r'<!--\s*not run in CI:(.*?)-->', re.S)
GENERATED = ('model_zoo.md', 'notes/compatibility.md', 'papers/')  # written by docs/en/stat.py
LANGUAGES = ('bash', 'shell')


@dataclass
class Block:
    page: str  # path relative to ROOT
    line: int  # 1-based line of the opening fence
    code: str
    reason: Optional[str]  # why it is not run; None: it runs


def pages() -> List[str]:
    """README.md and the hand-written pages of docs/en, relative to ROOT."""
    docs = [osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'docs', 'en', '**', '*.md'), recursive=True)]
    docs = [p for p in docs if '/_build/' not in p
            and not any(osp.relpath(p, 'docs/en').startswith(g) for g in GENERATED)]
    return ['README.md', *sorted(docs)]


def blocks(page: str, root: str = ROOT) -> List[Block]:
    """The command blocks of ``page`` (relative to ``root``); a marker that no command block follows
    is an error."""
    from markdown_it import MarkdownIt
    with open(osp.join(root, page), encoding='utf-8') as f:
        tokens = MarkdownIt('commonmark').parse(f.read())
    found, pending = [], None  # pending: (line, reason) of a marker waiting for its block
    for token in tokens:
        if token.type.endswith('_open') or token.type.endswith('_close'):
            continue  # list items and the like: a marker and its block may sit inside one
        language = token.info.strip().split(' ')[0] if token.type == 'fence' else ''
        if token.type == 'fence' and language in LANGUAGES:
            reason = pending[1] if pending else None
            found.append(Block(page, token.map[0] + 1, token.content, reason))
            pending = None
            continue
        if pending:
            raise AssertionError(f'{page}:{pending[0]}: a "not run in CI" marker must stand on the line right '
                                 f'before a ```bash or ```shell block')
        match = MARK.search(token.content) if token.type == 'html_block' else None
        if match:
            pending = (token.map[0] + 1, match.group(1).strip())
    if pending:
        raise AssertionError(f'{page}:{pending[0]}: a "not run in CI" marker with no command block after it')
    return found


def test_every_block_runs_or_says_why_not():
    every = [block for page in pages() for block in blocks(page)]
    assert len(pages()) > 15 and len(every) > 20  # the pages and their blocks were found
    for block in every:
        assert block.reason is None or len(block.reason) > 10, f'{block.page}:{block.line}: give the reason'
    assert any(block.reason is None for block in blocks('README.md'))


def test_a_marker_away_from_its_block_is_refused(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('<!-- not run in CI: needs a GPU -->\n\nSome text.\n\n```bash\necho hi\n```\n')
    with pytest.raises(AssertionError, match='right before'):
        blocks('page.md', str(tmp_path))
    page.write_text('1. Step:\n\n   <!-- not run in CI: needs a GPU -->\n   ```bash\n   echo hi\n   ```\n'
                    '\n````md\n```bash\nnot a block of this page\n```\n````\n')
    assert [(b.line, b.code, b.reason) for b in blocks('page.md', str(tmp_path))] == [(4, 'echo hi\n', 'needs a GPU')]


def workspace(path: str) -> str:
    """A work folder with the checkout's code, configs, tools and Fashion-MNIST; what a command
    writes (work_dirs/, data/coco, basis files) stays in it."""
    for name in ('configs', 'tools', 'mmebv', 'model-index.yml', 'requirements'):
        os.symlink(osp.join(ROOT, name), osp.join(path, name))
    os.makedirs(osp.join(path, 'data'))
    os.symlink(osp.join(ROOT, 'data', 'fashion_mnist'), osp.join(path, 'data', 'fashion_mnist'))
    return path


@pytest.mark.e2e
@pytest.mark.parametrize('page', [p for p in pages() if any(b.reason is None for b in blocks(p))])
def test_documented_commands_run_as_written(page, tmp_path):
    cwd = workspace(str(tmp_path))
    env = user_env(MMEBV_SMOKE='1', MMEBV_SMOKE_SAMPLES='2',
                   PATH=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    for block in blocks(page):
        if block.reason is not None:
            continue
        result = subprocess.run(['bash', '-e', '-o', 'pipefail', '-c', block.code], cwd=cwd, env=env,
                                capture_output=True, text=True, timeout=900)
        log = (result.stdout + result.stderr)[-4000:]
        assert result.returncode == 0, f'{page}:{block.line} failed (exit {result.returncode}):\n{block.code}\n{log}'
