from .largest_margin import LMSoftmaxLoss, lm_softmax, sample_margin, zero_centroid

__all__ = ['LMSoftmaxLoss', 'lm_softmax', 'sample_margin', 'zero_centroid']
