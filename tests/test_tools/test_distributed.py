"""tools/dist_train.sh and tools/dist_test.sh on the CPU (gloo): two simulated nodes on one
machine, and the FlexibleRunner's FSDP strategy on one node of two processes."""
import torch

from tests.data.toy_components import ToyRegressor
from tests.test_tools.launching import (TOY_VAL_CONFIG, free_port, launch, read_jsonl, read_ranks,
                                        run_two_nodes, unprefixed_state_dict, wait_all)


def test_two_nodes_train_and_validate_every_sample_once(two_node_training):
    ranks = read_ranks(two_node_training / 'work')
    assert [(r['runner'], r['wrapper'], r['iterations']) for r in ranks] == [
        ('Runner', 'MMDistributedDataParallel', 6)] * 2
    # DistributedSampler over the world of 2: the ranks see disjoint halves of each epoch (16
    # samples, 2 x 2 per iteration: the first 4 iterations cover the epoch exactly once).
    first_epoch = ranks[0]['seen_samples'][:8] + ranks[1]['seen_samples'][:8]
    assert sorted(first_epoch) == list(range(16))
    checkpoint = torch.load(two_node_training / 'work' / 'iter_6.pth', weights_only=False)
    assert checkpoint['meta']['iter'] == 6
    # Validation at the end of training: once, on rank 0, over all 7 samples (padded to 8).
    [val_call] = read_jsonl(two_node_training / 'val.jsonl')
    assert val_call['rank'] == 0 and sorted(val_call['sample_ids']) == list(range(7))


def test_two_nodes_test_every_sample_once(two_node_training, tmp_path):
    test_file = tmp_path / 'test.jsonl'
    run_two_nodes('dist_test.sh', TOY_VAL_CONFIG, str(two_node_training / 'work' / 'iter_6.pth'),
                  '1', '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                  f'test_evaluator.out_file={test_file}', cwd=tmp_path)
    [test_call] = read_jsonl(test_file)
    assert test_call['rank'] == 0 and sorted(test_call['sample_ids']) == list(range(7))


def test_fsdp_strategy_trains_the_same_weights_as_ddp(two_node_training, tmp_path):
    work_dir, val_file = tmp_path / 'work', tmp_path / 'val.jsonl'
    wait_all([launch('dist_train.sh', TOY_VAL_CONFIG, '2', '--work-dir', str(work_dir),
                     '--strategy', 'fsdp', '--cfg-options', f'val_evaluator.out_file={val_file}',
                     cwd=tmp_path, PORT=str(free_port()))])

    ranks, ddp_ranks = read_ranks(work_dir), read_ranks(two_node_training / 'work')
    assert [(r['runner'], r['wrapper'], r['iterations']) for r in ranks] == [
        ('GuardedFlexibleRunner', 'MMFullyShardedDataParallel', 6)] * 2
    assert [r['seen_samples'] for r in ranks] == [r['seen_samples'] for r in ddp_ranks]
    [val_call] = read_jsonl(val_file)
    assert sorted(val_call['sample_ids']) == list(range(7))
    # state_dict_cfg='full': one file with unsharded, unprefixed weights that a plain model
    # (tools/test.py, the demo) loads as it is.
    fsdp = torch.load(work_dir / 'iter_6.pth', weights_only=False)['state_dict']
    ToyRegressor().load_state_dict(fsdp, strict=True)
    # Same data, seed and world size as the two-node DDP run, with clipping active at every
    # step: equal weights need the gradient norm of the whole model, not of each shard.
    ddp = unprefixed_state_dict(two_node_training / 'work' / 'iter_6.pth')
    for key, value in ddp.items():
        torch.testing.assert_close(fsdp[key], value, rtol=0, atol=1e-6)
