from .ebv_classifier import EBVClassifier, default_embed_dim

__all__ = ['EBVClassifier', 'default_embed_dim']
