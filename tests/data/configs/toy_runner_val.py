# toy_runner.py with validation on the 7 test samples at the end of training (multi-node, slurm
# and strategy tests: every validation sample must be scored exactly once, on rank 0), and with
# plain SGD under gradient clipping that acts at every step, so that runs under different
# wrappers (DDP, FSDP) must agree on the global gradient norm to train the same weights.
_base_ = ['./toy_runner.py']
train_cfg = dict(val_interval=6)
val_dataloader = {{_base_.test_dataloader}}
val_cfg = dict()
val_evaluator = dict(type='GatheredSamplesMetric', out_file='val_gathered.jsonl')
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.5),
                     clip_grad=dict(max_norm=0.05))
