"""Sphinx configuration of mmebv's documentation (Sphinx + MyST, OpenMMLab's layout).

Build (warnings are errors, as in CI):

    python -m sphinx -W --keep-going -b html docs/en docs/en/_build/html

Before reading the pages, the build runs ``stat.py`` (the model zoo from ``configs/*/metafile.yml``
and the compatibility matrix from ``mmebv/compatibility.py``) and ``figures.py`` (the figures, drawn from
the measured figures in ``_data/``): none of these pages is written by hand.
"""
import os
import os.path as osp
import re
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, ROOT)

project = 'mmebv'
copyright = 'mmebv contributors'
author = 'mmebv contributors'
_scope = {}
with open(osp.join(ROOT, 'mmebv', 'version.py')) as f:
    exec(compile(f.read(), 'version.py', 'exec'), _scope)
version = release = _scope['__version__']

extensions = ['myst_parser', 'sphinx.ext.autodoc', 'sphinx.ext.napoleon']
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
myst_enable_extensions = ['colon_fence']
highlight_language = 'none'  # a fence without a language is program output, not code
myst_heading_anchors = 3  # in-page links such as (#measured-here) resolve to headings up to ###

autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# 'Methods:' in mmebv's docstrings lists the ways a function can work (a bullet list), not a class's methods
napoleon_custom_sections = ['Methods']

html_theme = 'furo'
html_title = f'mmebv {release}'
html_static_path = ['_static']


_documented = set()


def _once(app, what, name, obj, skip, options):
    """Document a module member once, where api.md first meets it (the core before the glue that
    re-exports it)."""
    if what != 'module' or skip:
        return None
    if id(obj) in _documented:
        return True
    _documented.add(id(obj))
    return None


_PIPE = re.compile(r'(``.*?``)|\|')


def _absolute_values(app, what, name, obj, options, lines):
    """Docstrings write |x| for absolute values and norms; in reST that is a substitution. Escape
    every '|' outside inline literals, except in a line that starts a table or a line block."""
    for i, line in enumerate(lines):
        if '|' in line and not line.lstrip().startswith(('|', '+')):
            lines[i] = _PIPE.sub(lambda m: m.group(1) or '\\|', line)


def setup(app):
    app.connect('autodoc-skip-member', _once)
    app.connect('autodoc-process-docstring', _absolute_values)


def _generate() -> None:
    """Write the generated pages and figures before Sphinx reads the sources."""
    for script in ('stat.py', 'figures.py'):
        subprocess.run([sys.executable, osp.join(HERE, script)], check=True, cwd=HERE,
                       env=dict(os.environ, MPLBACKEND='Agg'))


_generate()
