_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='auto'))
custom_hooks = [dict(type='ProgressBarHook'), dict(type='EpochSeedHook')]  # seed per epoch: exact resume
env_cfg = dict(dist_cfg=dict(backend='gloo'))  # CPU-first demo; GPUs run it with nccl too
randomness = dict(seed=0, deterministic=False)
