"""What several test files share: the project root and running the project's tools as a user would."""
import os
import os.path as osp
import subprocess
import sys
from typing import Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def user_env(**extra: str) -> dict:
    """This process's environment with torch's safe loading on (as for a user), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'}
    env.update(extra)
    return env


def run(args: Sequence[str], cwd: str = ROOT, env: Optional[dict] = None, timeout: int = 900,
        check: bool = True) -> str:
    """Run ``args`` (a ``*.py`` first argument runs under this interpreter) and return its output.

    With ``check`` the command must exit 0; the assertion shows the end of its output otherwise.
    """
    args = [sys.executable, *args] if str(args[0]).endswith('.py') else list(args)
    result = subprocess.run(args, cwd=cwd, env=env or user_env(), capture_output=True, text=True, timeout=timeout)
    log = result.stdout + result.stderr
    assert not check or result.returncode == 0, log[-5000:]
    return log


# --- Files in the layouts the EBV and GCR authors release (built here: their files are not ours) ---

def write_official_basis(path: str, basis, location: str = 'cuda:0') -> None:
    """Write ``basis`` (N, d) as the EBV authors wrote their eq_<d>_<N>.pkl files: ``pickle.dump`` of
    a float32 tensor (protocol 4, Python 3.8's default), whose storage torch's own legacy serializer
    writes under the location tag ``location`` ('cuda:0' for most of theirs) — on a CPU machine."""
    import pickle
    from unittest import mock

    import torch
    with mock.patch.object(torch.serialization, 'location_tag', lambda storage: location):
        with open(path, 'wb') as f:
            pickle.dump(basis.detach().contiguous(), f, protocol=4)

