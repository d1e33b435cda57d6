"""FixedClassifier on its own: the channel axis, zero embeddings, non-finite features and the feature size."""
import pytest
import torch

from mmebv.classifiers import FixedClassifier


def test_channel_dim_one_is_the_per_pixel_linear_classifier():
    dense = FixedClassifier(16, 5, embed_dim=8, channel_dim=1)
    flat = FixedClassifier(16, 5, embed_dim=8)
    flat.load_state_dict(dense.state_dict())
    x = torch.randn(2, 16, 3, 4)
    logits = dense(x)
    assert logits.shape == (2, 5, 3, 4)
    assert torch.allclose(logits, flat(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), atol=1e-6)
    assert logits.abs().max() <= 1 / 0.07 + 1e-4


def test_zero_embedding_gives_zero_logits_and_non_finite_features_raise():
    classifier = FixedClassifier(4, 3, embed_dim=4, with_projection=False)
    assert torch.equal(classifier(torch.zeros(2, 4)), torch.zeros(2, 3))
    with pytest.raises(FloatingPointError, match='non-finite'):
        classifier(torch.tensor([[1.0, float('nan'), 0.0, 0.0]]))


def test_wrong_feature_size_names_the_fix():
    with pytest.raises(ValueError, match='in_channels'):
        FixedClassifier(16, 5, channel_dim=1)(torch.randn(1, 8, 2, 2))
