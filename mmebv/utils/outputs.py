"""Checks a tool makes on the file it is about to write, before any work."""
import os
import os.path as osp
from typing import Optional


def writable_dir(directory: str) -> Optional[str]:
    """None when files can be written in ``directory`` (made if missing), else why not."""
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        return f'{type(error).__name__}: {error.strerror or error}'
    if not os.access(directory, os.W_OK | os.X_OK):
        return 'no write permission'
    return None


def output_problem(path: str, force: bool, name: str, not_done: str) -> Optional[str]:
    """Why a tool should not write ``path``, or None: it is a directory, it exists (without
    ``--force``: what is saved is never replaced unasked) or its directory is not writable.

    Args:
        path (str): the file to write.
        force (bool): whether the user asked to replace an existing file.
        name (str): how the tool's command line names it ('--out', 'OUT').
        not_done (str): what was therefore not done ('nothing was generated').
    """
    if osp.isdir(path):
        return f'{name} {path} is a directory: name a file in it, e.g. {osp.join(path, "out.pth")}'
    if osp.exists(path) and not force:
        return f'{name} {path} exists; {not_done}. Add --force to replace it, or choose another name'
    directory = osp.dirname(osp.abspath(path))
    problem = writable_dir(directory)
    if problem is not None:
        return (f'cannot write {name} {path}: its directory {directory} is not writable ({problem}); {not_done}. '
                f'Choose a writable location')
    return None
