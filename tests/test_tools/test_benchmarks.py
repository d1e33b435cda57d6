"""Tiny runs of the benchmark scripts, so they cannot rot (they measure; these only check they run)."""
import pytest
from helpers import run

pytestmark = pytest.mark.e2e


def test_benchmark_heads_prints_every_head():
    out = run(['tools/analysis_tools/benchmark_heads.py', '--classes', '50,200,300000', '--batch', '8',
               '--in-channels', '100', '--steps', '1', '--memory-budget-gib', '0.3', '--whole-model-batch', '2'])
    rows = [line for line in out.splitlines() if line.startswith(('| 50 ', '| 200 ', '| 300,000 '))]
    heads = [row.split('|')[2].strip() for row in rows]
    assert heads == ['FC', 'EBV d=512', 'EBV d=1024', 'EBV d=50', 'EBV d=100, no projection', 'GCR k=8',
                     'FC', 'EBV d=512', 'EBV d=1024', 'GCR k=8',
                     'FC', 'EBV d=512, chunked loss', 'EBV d=1024, chunked loss', 'EBV d=512, chunked loss, bf16 basis']
    assert all(row.split('|')[4].strip() == '1.00' for row in rows if '| FC |' in row and 'not run' not in row)
    assert 'not run: needs about 0.4 GiB > 0.3 GiB' in rows[10]  # FC at 300k classes, over the budget
    assert float(rows[-1].split('|')[3]) > 0  # the bf16 chunked head ran
    whole = [line.split('|')[1].strip() for line in out.splitlines() if line.startswith('| ResNet-50 + ')]
    assert whole == ['ResNet-50 + FC', 'ResNet-50 + EBV d=1000', 'ResNet-50 + EBV d=512', 'ResNet-50 + GCR k=8']


def test_benchmark_accuracy_runs_and_prints_its_table():
    # every head's config trains through tools/train.py in test_train_demo.py; two suffice here
    out = run(['tools/analysis_tools/benchmark_accuracy.py', '--seeds', '0,1', '--epochs', '2',
               '--train-samples', '256', '--test-samples', '500', '--heads', 'fc,gcr'])
    rows = [line.split('|') for line in out.splitlines() if line.startswith('| ') and '---' not in line][1:]
    assert [row[1].strip() for row in rows] == ['fc', 'gcr']
    assert all(0 <= float(row[3].split('±')[0]) <= 100 for row in rows)


def test_benchmark_downstream_trains_a_twin_and_prints_its_mIoU(tmp_path):
    data = str(tmp_path / 'ade')
    run(['tools/misc/make_semisynthetic_data.py', 'ade20k', '--out', data, '--train', '4', '--val', '2'])
    out = run(['tools/analysis_tools/benchmark_downstream.py', 'seg', '--iters', '1', '--size', '64', '--only', 'GCR',
               '--data-root', data])
    rows = [line.split('|') for line in out.splitlines() if line.startswith('| GCR ')]
    assert len(rows) == 1 and 'upernet_r18_gcr' in rows[0][2]
    assert 0 <= float(rows[0][4]) <= 100  # a measured mIoU, not nan
