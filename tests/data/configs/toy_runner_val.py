# toy_runner.py with validation on the 7 test samples at the end of training (multi-node and
# slurm tests: every validation sample must be scored exactly once, on rank 0).
_base_ = ['./toy_runner.py']
train_cfg = dict(val_interval=6)
val_dataloader = {{_base_.test_dataloader}}
val_cfg = dict()
val_evaluator = dict(type='GatheredSamplesMetric', out_file='val_gathered.jsonl')
