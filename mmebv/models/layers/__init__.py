from .ebv_classifier import EBVClassifier, EBVDenseClassifierMixin, default_embed_dim

__all__ = ['EBVClassifier', 'EBVDenseClassifierMixin', 'default_embed_dim']
