from mmdet.registry import MODELS

from mmebv.classifiers import FixedClassifier


@MODELS.register_module()
class FixedLinear(FixedClassifier):
    """:class:`~mmebv.classifiers.FixedClassifier` under ``nn.Linear``'s argument names, for mmdet's
    bbox heads.

    mmdet builds a bbox head's classifier from ``cls_predictor_cfg`` and fills in ``in_features``
    and ``out_features`` (the class count plus one for background), so
    ``cls_predictor_cfg=dict(type='FixedLinear', basis=dict(type='EBV'), temperature=0.07)`` gives
    the head one fixed vector per class and one for background.

    Args:
        in_features (int): size of the RoI features (filled in by the bbox head).
        out_features (int): number of classifier outputs (filled in by the bbox head).
        **kwargs: the other arguments of :class:`~mmebv.classifiers.FixedClassifier` (``basis``,
            ``embed_dim``, ``temperature``, ``with_projection``, ...).
    """

    def __init__(self, in_features: int, out_features: int, **kwargs) -> None:
        super().__init__(in_features, out_features, **kwargs)


@MODELS.register_module()
class EBVLinear(FixedLinear):
    """:class:`FixedLinear` under the name EBV configs use (its basis defaults to EBV)."""
