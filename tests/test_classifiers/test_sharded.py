"""The class-sharded fixed classifier: with 2 and 4 gloo processes its loss, the gradient reaching the
features and the projection, and its predictions equal the unsharded head's on the same batch; a
checkpoint resumes at another number of processes with the same basis; bad input is refused."""
import os
import socket
import traceback

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from mmebv.classifiers import CLASSIFIERS, ShardedFixedClassifier, shard_range, sharded
from mmebv.classifiers.indexed_bases import build_indexed_basis
from mmebv.ebv import BasisFileError, coherence, save_basis

N, C, D, CHUNK, TEMPERATURE = 50, 8, 16, 7, 0.07  # N % W != 0 for W = 4; several chunks per shard
BASES = [dict(type='SeededRows', seed=3), dict(type='ExtendedGold', seed=1)]


def reference(classifier, basis_vectors, x):
    """The unsharded head: the same projection against all N vectors."""
    embedding = F.normalize(classifier.projection(x), dim=-1)
    return embedding @ basis_vectors.T / classifier.temperature


def test_registered_and_shards_cover_the_classes_once():
    assert CLASSIFIERS['ShardedFixed'] is ShardedFixedClassifier
    for world in (1, 2, 3, 4, 7):
        ranges = [shard_range(N, rank, world) for rank in range(world)]
        assert ranges[0][0] == 0 and ranges[-1][1] == N
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert max(b - a for a, b in ranges) - min(b - a for a, b in ranges) <= 1
    with pytest.raises(ValueError, match='5 ranks cannot share 4 classes'):
        shard_range(4, 0, 5)


@pytest.mark.parametrize('basis', BASES, ids=lambda b: b['type'])
def test_rows_by_index_are_the_rows_of_the_whole_basis(basis):
    provider = build_indexed_basis(basis)
    whole = provider.build(1000, 32)
    assert torch.equal(provider.rows(300, 1000, 1000, 32), whole[300:])
    assert torch.allclose(whole.norm(dim=1), torch.ones(1000), atol=1e-5)
    bound = provider.coherence_bound(1000, 32)
    assert coherence(whole)['max'] <= bound['bound'] + 1e-6 and bound['bound'] >= bound['welch_bound']


def test_one_process_matches_the_unsharded_head():
    torch.manual_seed(0)
    layer = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=BASES[0])
    vectors = build_indexed_basis(BASES[0]).build(N, D)
    x, y = torch.randn(6, C, requires_grad=True), torch.randint(0, N, (6, ))
    for target, smoothing in ((y, 0.0), (y, 0.1), (torch.softmax(torch.randn(6, N), 1), 0.0)):
        loss = layer.cross_entropy(x, target, smoothing).mean()
        expected = F.cross_entropy(reference(layer, vectors, x), target, label_smoothing=smoothing)
        assert torch.allclose(loss, expected, atol=1e-5)
        assert torch.allclose(torch.autograd.grad(loss, x)[0], torch.autograd.grad(expected, x)[0], atol=1e-6)
    assert torch.equal(layer.topk(x, 3)[1], reference(layer, vectors, x).topk(3).indices)
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 49\]'):
        layer.cross_entropy(x[:2], torch.tensor([0, N]))


def test_the_loss_is_float32_under_mixed_precision():
    """As autocast runs F.cross_entropy: a half-precision embedding would round the logits of all N
    classes before the softmax."""
    torch.manual_seed(0)
    layer = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=BASES[0])
    x, y = torch.randn(6, C, requires_grad=True), torch.randint(0, N, (6, ))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = layer.cross_entropy(x, y)
    assert loss.dtype == torch.float32
    with torch.autocast('cpu', dtype=torch.bfloat16):  # the embedding alone in mixed precision
        embedding = layer.embed(x).float()
    expected = F.cross_entropy(embedding @ build_indexed_basis(BASES[0]).build(N, D).T / TEMPERATURE, y,
                               reduction='none')
    assert torch.allclose(loss, expected, atol=1e-5)
    loss.sum().backward()
    assert x.grad.dtype == torch.float32 and torch.isfinite(x.grad).all()


@pytest.mark.parametrize('basis_dtype', ['bfloat16', 'float16'])
def test_a_half_precision_shard_widens_to_the_embeddings_dtype_and_matches_float32(monkeypatch, basis_dtype):
    monkeypatch.setattr(sharded, 'BUILD_ROWS', 7)  # the shard is built in blocks, rounded block by block
    torch.manual_seed(0)
    layer = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=BASES[0], basis_dtype=basis_dtype)
    full = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=BASES[0])
    full.load_state_dict(layer.state_dict())  # the same projection; the checkpoint holds no dtype
    vectors = build_indexed_basis(BASES[0]).build(N, D)
    assert layer.shard.dtype == getattr(torch, basis_dtype) and full.shard.dtype == torch.float32
    assert torch.equal(layer.shard, vectors.to(layer.shard.dtype)) and torch.equal(full.shard, vectors)
    rounded = layer.shard.float()  # what the products see: the rows rounded once, widened exactly
    x, y = torch.randn(6, C, requires_grad=True), torch.randint(0, N, (6, ))
    for target, smoothing in ((y, 0.0), (y, 0.1), (torch.softmax(torch.randn(6, N), 1), 0.0)):
        loss = layer.cross_entropy(x, target, smoothing).mean()
        grad = torch.autograd.grad(loss, x)[0]
        # the float32 path on the rounded rows, to float32 rounding: one code path for every dtype
        expected = F.cross_entropy(reference(layer, rounded, x), target, label_smoothing=smoothing)
        assert torch.allclose(loss, expected, atol=1e-5)
        assert torch.allclose(grad, torch.autograd.grad(expected, x)[0], atol=1e-6)
        # and the float32 shard, within the half precision's rounding of the rows
        loss32 = full.cross_entropy(x, target, smoothing).mean()
        grad32 = torch.autograd.grad(loss32, x)[0]
        assert torch.allclose(loss, loss32, rtol=2e-2) and torch.allclose(grad, grad32, rtol=5e-2, atol=2e-3)
        assert not torch.equal(grad, grad32)  # the rows were rounded
    assert layer(x).dtype == torch.float32
    assert torch.equal(layer.topk(x, 3)[1], reference(layer, rounded, x).topk(3).indices)
    assert 'basis_dtype=' + basis_dtype in repr(layer)
    with pytest.raises(ValueError, match="basis_dtype must be one of .*got 'half'"):
        ShardedFixedClassifier(C, N, embed_dim=D, basis_dtype='half')


def test_the_shard_is_neither_buffer_nor_parameter_and_the_checkpoint_holds_the_definition():
    layer = ShardedFixedClassifier(C, N, embed_dim=D, basis=BASES[0])
    assert not any(t is layer.shard for t in list(layer.buffers()) + list(layer.parameters()))
    assert set(layer.state_dict()) == {'projection.weight', 'projection.bias', 'basis_origin'}
    other = ShardedFixedClassifier(C, N, embed_dim=D, basis=dict(type='SeededRows', seed=4))
    with pytest.raises(ValueError, match='checkpoint\'s sharded basis was built from'):
        other.load_state_dict(layer.state_dict())


def test_a_basis_file_is_read_by_rows_and_checked_against_the_configured_classes(tmp_path):
    vectors = build_indexed_basis(BASES[1]).build(N, D)
    path = str(tmp_path / 'basis.pth')
    save_basis(path, vectors, seed=1)
    layer = ShardedFixedClassifier(C, N, embed_dim=D, basis=dict(type='BasisFileRows', file=path))
    assert torch.equal(layer.shard, vectors)
    assert layer.coherence_bound()['bound'] == pytest.approx(coherence(vectors)['max'])
    with pytest.raises(BasisFileError, match='holds 50 rows of 16 dims, but the classifier is configured for 40'):
        ShardedFixedClassifier(C, 40, embed_dim=D, basis=dict(type='BasisFileRows', file=path))
    with pytest.raises(KeyError, match='cannot be built by index'):
        ShardedFixedClassifier(C, N, embed_dim=D, basis=dict(type='EBV'))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _compare(rank: int, world: int, out: str) -> dict:
    result = {}
    for basis in BASES:
        torch.manual_seed(0)  # the same projection on every rank, as DDP makes it
        layer = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=basis)
        vectors = build_indexed_basis(basis).build(N, D)
        shards = [torch.zeros(N, D) for _ in range(world)]
        dist.all_gather(shards, F.pad(layer.shard, (0, 0, 0, N - layer.shard.shape[0])))
        whole = torch.cat([s[:stop - start] for s, (start, stop) in
                           zip(shards, [shard_range(N, r, world) for r in range(world)])])
        result[f'{basis["type"]} shards'] = torch.equal(whole, vectors)
        generator = torch.Generator().manual_seed(10 + rank)
        rows = 3 + rank  # batch sizes differ between ranks
        x = torch.randn(rows, C, generator=generator)
        hard = torch.randint(0, N, (rows, ), generator=generator)
        soft = torch.softmax(torch.randn(rows, N, generator=generator), 1)
        for name, target, smoothing in (('hard', hard, 0.0), ('smoothed', hard, 0.1), ('soft', soft, 0.0)):
            xs, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
            layer.zero_grad()
            loss = layer.cross_entropy(xs, target, smoothing).mean()
            loss.backward()
            grad_w = layer.projection.weight.grad.clone()
            layer.zero_grad()
            expected = F.cross_entropy(reference(layer, vectors, xr), target, label_smoothing=smoothing)
            expected.backward()
            result[f'{basis["type"]} {name}'] = (
                torch.allclose(loss, expected, atol=1e-5), torch.allclose(xs.grad, xr.grad, atol=1e-6),
                torch.allclose(grad_w, layer.projection.weight.grad, atol=1e-6))
        xs = x.clone().requires_grad_()
        logits = layer(xs)
        logits.sum().backward()
        xr = x.clone().requires_grad_()
        full = reference(layer, vectors, xr)
        full.sum().backward()
        values, indices = layer.topk(x, 5)
        # DDP broadcasts rank 0's parameters and buffers when wrapping and before each forward
        ddp = torch.nn.parallel.DistributedDataParallel(layer, broadcast_buffers=True)
        ddp(x).sum().backward()
        result[f'{basis["type"]} DDP keeps each rank\'s shard'] = torch.equal(
            layer.shard, vectors[slice(*shard_range(N, rank, world))])
        result[f'{basis["type"]} predictions'] = (
            torch.allclose(logits, full, atol=1e-5), torch.allclose(xs.grad, xr.grad, atol=1e-5),
            torch.equal(indices, full.topk(5).indices), torch.allclose(values, full.topk(5).values, atol=1e-5))
    # bfloat16 shards: the float32 path on the rows rounded once, across ranks too
    torch.manual_seed(0)
    layer = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=BASES[0], basis_dtype='bfloat16')
    rounded = build_indexed_basis(BASES[0]).build(N, D).bfloat16().float()
    x = torch.randn(3 + rank, C, generator=torch.Generator().manual_seed(20 + rank))
    hard = torch.randint(0, N, (3 + rank, ), generator=torch.Generator().manual_seed(30 + rank))
    xs, xr = x.clone().requires_grad_(), x.clone().requires_grad_()
    loss = layer.cross_entropy(xs, hard, 0.1).mean()
    loss.backward()
    expected = F.cross_entropy(reference(layer, rounded, xr), hard, label_smoothing=0.1)
    expected.backward()
    result['bfloat16 shards'] = (layer.shard.dtype == torch.bfloat16, torch.allclose(loss, expected, atol=1e-5),
                                 torch.allclose(xs.grad, xr.grad, atol=1e-6))
    return result


def _errors(rank: int, world: int) -> dict:
    result = {}
    for name, kwargs in (('seeds', dict(num_classes=N, basis=dict(type='SeededRows', seed=rank % 2))),
                         ('ranks', dict(num_classes=world - 1))):
        try:
            ShardedFixedClassifier(C, embed_dim=D, **kwargs)
            result[name] = 'built'
        except ValueError as error:
            result[name] = str(error)
    return result


def _worker(rank: int, world: int, port: int, out: str, task: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    try:
        if task == 'compare':
            result = dict(_compare(rank, world, out), **_errors(rank, world))
        else:  # resume: train one step at W ranks (first run) or load the checkpoint (second run)
            torch.manual_seed(0)
            layer = ShardedFixedClassifier(C, N, embed_dim=D, chunk=CHUNK, basis=BASES[1])
            checkpoint = os.path.join(out, 'checkpoint.pth')
            if task == 'resume-load':
                layer.load_state_dict(torch.load(checkpoint, weights_only=True))
            x = torch.randn(8, C, generator=torch.Generator().manual_seed(5))  # one global batch
            y = torch.arange(8) * 6
            start, stop = shard_range(8, rank, world)
            loss = layer.cross_entropy(x[start:stop], y[start:stop])
            losses = [torch.zeros(8) for _ in range(world)]
            dist.all_gather(losses, F.pad(loss.detach(), (0, 8 - len(loss))))
            result = dict(losses=torch.cat([v[:e - s] for v, (s, e) in
                                            zip(losses, [shard_range(8, r, world) for r in range(world)])]))
            if task == 'resume-save':
                loss.sum().backward()
                for p in layer.parameters():  # one SGD step, gradients averaged as DDP does
                    dist.all_reduce(p.grad)
                    p.data -= 0.5 * p.grad / world
                if rank == 0:
                    torch.save(layer.state_dict(), checkpoint)
    except Exception:
        result = dict(error=traceback.format_exc())
    torch.save(result, os.path.join(out, f'{task}-{world}-{rank}.pth'))
    dist.destroy_process_group()


def _spawn(world: int, out, task: str) -> list:
    mp.spawn(_worker, args=(world, _free_port(), str(out), task), nprocs=world, join=True)
    results = [torch.load(out / f'{task}-{world}-{rank}.pth', weights_only=True) for rank in range(world)]
    assert all('error' not in r for r in results), [r.get('error') for r in results]
    return results


@pytest.mark.e2e
@pytest.mark.parametrize('world', [2, 4])
def test_ranks_match_the_unsharded_head_and_refuse_bad_input(tmp_path, world):
    for rank, result in enumerate(_spawn(world, tmp_path, 'compare')):
        for key, value in result.items():
            if key == 'seeds':
                assert 'the ranks disagree about the basis' in value, (rank, value)
            elif key == 'ranks':
                assert f'{world} ranks cannot share {world - 1} classes' in value, (rank, value)
            else:
                assert value is True or (isinstance(value, tuple) and all(value)), (rank, key, value)


@pytest.mark.e2e
def test_a_checkpoint_resumes_at_another_number_of_processes(tmp_path):
    _spawn(2, tmp_path, 'resume-save')
    resumed = _spawn(4, tmp_path, 'resume-load')[0]['losses']
    # the unsharded head with the checkpoint's projection (read from the file itself, not through the
    # layer under test) and the same basis
    state = torch.load(tmp_path / 'checkpoint.pth', weights_only=True)
    torch.manual_seed(0)
    initial = torch.nn.Linear(C, D)  # the projection before the step, as the workers built it
    assert not torch.allclose(initial.weight, state['projection.weight'])  # the step changed it
    x = torch.randn(8, C, generator=torch.Generator().manual_seed(5))
    embedding = F.normalize(F.linear(x, state['projection.weight'], state['projection.bias']), dim=-1)
    logits = embedding @ build_indexed_basis(BASES[1]).build(N, D).T / TEMPERATURE
    expected = F.cross_entropy(logits, torch.arange(8) * 6, reduction='none')
    assert torch.allclose(resumed, expected, atol=1e-5)
