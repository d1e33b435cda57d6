"""Files the tools write and read: checks before writing, atomic replacement, content hashes."""
import hashlib
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


def replace_atomically(tmp: str, final: str) -> None:
    """Flush ``tmp`` to disk and rename it to ``final`` (one step: readers see the old or the new file)."""
    _fsync(tmp)
    os.replace(tmp, final)
    _fsync(osp.dirname(osp.abspath(final)))


def _fsync(path: str) -> None:
    flags = os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0) if osp.isdir(path) else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def file_sha256(path: str) -> str:
    """The SHA-256 of the file at ``path`` (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()
