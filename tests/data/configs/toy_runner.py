# A few-second runner config for tool tests: linear regression on 16 random samples.
custom_imports = dict(imports=['tests.data.toy_components'], allow_failed_imports=False)
default_scope = 'diffhand_mm'
work_dir = None
model = dict(type='ToyRegressor')
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyLinearDataset', num_samples=16))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyLinearDataset', num_samples=7))
train_cfg = dict(by_epoch=False, max_iters=6)
test_cfg = dict()
test_evaluator = dict(type='GatheredSamplesMetric', out_file='gathered.jsonl')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=0.05, weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, by_epoch=False, begin=0, end=4),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=4, end=6, T_max=2),
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
custom_hooks = [dict(type='RankRecorderHook')]
randomness = dict(seed=7)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
log_level = 'WARNING'
