"""GCR's logits (:func:`mmebv.grassmann.projection_norms`): the norms of a feature's projections on the
class subspaces."""
import torch
from helpers import norms_one_class_at_a_time

from mmebv.grassmann import projection_norms, random_subspaces


def test_projection_norms_have_the_norms_gradient_and_no_nan_at_zero():
    x = torch.randn(5, 16, dtype=torch.float64, requires_grad=True)
    subspaces = random_subspaces(4, 16, 3, seed=3).double().requires_grad_(True)
    assert torch.autograd.gradcheck(projection_norms, (x, subspaces))
    torch.testing.assert_close(projection_norms(x, subspaces), norms_one_class_at_a_time(x, subspaces))
    zero = torch.zeros(2, 16, requires_grad=True)  # an all-zero feature (dead ReLUs)
    projection_norms(zero, subspaces.detach().float()).sum().backward()
    assert torch.equal(zero.grad, torch.zeros_like(zero))
