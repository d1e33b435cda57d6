_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # mmebv's CheckpointHook: complete files under real names, old ones removed after the new one is saved
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=2, save_best='auto'))
custom_hooks = [dict(type='ProgressBarHook'), dict(type='EpochSeedHook')]  # seed per epoch: exact resume
# env_cfg stays mmpretrain's (nccl): tools/train.py switches multi-process runs without CUDA to gloo.
# The base's visualizer carries `_scope_='mmpretrain'`, which upstream tools that build it from its
# keys (mmpretrain's browse_dataset.py) pass on as an argument: restate it without.
visualizer = dict(_delete_=True, type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0, deterministic=False)
