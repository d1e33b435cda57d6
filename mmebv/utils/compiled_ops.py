"""A clear error when mmcv's compiled ops, which mmdet and mmseg need, are missing."""


def require_mmcv_ops(task: str) -> None:
    """Raise ``ImportError`` naming the fix when ``mmcv.ops`` cannot be imported.

    Args:
        task (str): what needs the ops, e.g. 'detection', for the message.
    """
    try:
        import mmcv.ops  # noqa: F401
    except (ImportError, OSError) as error:
        raise ImportError(
            f'mmebv\'s {task} modules need mmcv with compiled ops (mmcv.ops), which failed to import '
            f'({type(error).__name__}: {error}). mmcv-lite or an mmcv built without ops is not '
            f'enough: run `bash tools/install.sh` (builds mmcv 2.1.0 with CPU ops), or on a GPU '
            f'machine `mim install "mmcv>=2.0.0rc4,<2.2.0"`. Image classification (mmebv.cls) '
            f'works without them.') from error
