"""The launch scripts answer a call without their arguments with a usage line and exit status 2."""
import os.path as osp
import subprocess

import pytest
from helpers import ROOT

# script -> its positional arguments, as its usage line names them
SCRIPTS = {
    'dist_train.sh': 'CONFIG GPUS',
    'dist_test.sh': 'CONFIG CHECKPOINT GPUS',
    'slurm_train.sh': 'PARTITION JOB_NAME CONFIG [WORK_DIR]',
    'slurm_test.sh': 'PARTITION JOB_NAME CONFIG CHECKPOINT',
}


@pytest.mark.parametrize('script', sorted(SCRIPTS))
@pytest.mark.parametrize('given', [0, 1])
def test_too_few_arguments_print_the_usage_line(script, given):
    result = subprocess.run(['bash', osp.join(ROOT, 'tools', script), *['x'] * given], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f'usage: tools/{script} {SCRIPTS[script]} ['), result.stderr
    assert 'unbound variable' not in result.stderr and result.stdout == ''
