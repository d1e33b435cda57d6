"""Class margins, sample margins, intra-class variability and linear probes."""
import math
from typing import Dict

import torch
import torch.nn.functional as F


def pairwise_class_angles(classes: torch.Tensor) -> torch.Tensor:
    """Angles in degrees between distinct classes, the upper triangle flattened.

    Args:
        classes (Tensor): (N, d) class vectors (EBV basis, FC weights), or (N, k, d) class
            subspaces as orthonormal rows (GCR), whose angle is their smallest principal angle.
    """
    if classes.dim() == 2:
        unit = F.normalize(classes.double(), dim=1)
        cosines = (unit @ unit.T).clamp(-1, 1)
    elif classes.dim() == 3:
        S = classes.double()
        cosines = torch.linalg.svdvals(torch.einsum('akd,bld->abkl', S, S)).amax(-1).clamp(-1, 1)
    else:
        raise ValueError(f'expected (N, d) vectors or (N, k, d) subspaces, got shape {tuple(classes.shape)}')
    rows, cols = torch.triu_indices(len(classes), len(classes), offset=1)
    return torch.rad2deg(torch.arccos(cosines[rows, cols]))


def class_margin(classes: torch.Tensor) -> Dict[str, float]:
    """Smallest, mean and largest pairwise class angle (degrees) of (N, d) or (N, k, d) classes."""
    angles = pairwise_class_angles(classes)
    return dict(num_classes=len(classes), min_angle=angles.min().item(), mean_angle=angles.mean().item(),
                max_angle=angles.max().item())


def sample_margins(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """score of the true class minus the best other score, per sample: (B, N), (B, ) -> (B, ).

    Positive means correctly classified with that much room; on cosine scores it is the sample
    margin of the largest-margin paper.
    """
    true = scores.gather(1, labels[:, None]).squeeze(1)
    others = scores.scatter(1, labels[:, None], float('-inf'))
    return true - others.max(dim=1).values


def intra_class_variability(features: torch.Tensor, labels: torch.Tensor) -> Dict[str, float]:
    """How tightly the (L2-normalised) features of each class gather.

    Returns ``within`` (mean squared distance to the class mean), ``between`` (mean squared
    distance of the class means to the global mean), their ratio, and ``nc1`` = Tr(Σ_W Σ_B⁺)/N
    (neural-collapse variability; 0 when every class collapses to its mean).
    """
    x = F.normalize(features.double(), dim=1)
    classes = labels.unique()
    means = torch.stack([x[labels == c].mean(0) for c in classes])
    global_mean = x.mean(0)
    within = torch.stack([(x[labels == c] - means[i]).pow(2).sum(1).mean() for i, c in enumerate(classes)])
    centred = means - global_mean
    sigma_b = centred.T @ centred / len(classes)
    diffs = x - means[torch.searchsorted(classes, labels)]
    sigma_w = diffs.T @ diffs / len(x)
    nc1 = torch.trace(sigma_w @ torch.linalg.pinv(sigma_b)) / len(classes)
    between = centred.pow(2).sum(1).mean()
    return dict(within=within.mean().item(), between=between.item(),
                ratio=(within.mean() / between).item(), nc1=nc1.item())


def linear_probe(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 weight_decay: float = 1e-4, steps: int = 200) -> float:
    """Top-1 (%) of a multinomial logistic regression fitted by L-BFGS on frozen features.

    Features are standardised with the training set's statistics.
    """
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-6)
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    layer = torch.nn.Linear(train_x.shape[1], num_classes)
    optimizer = torch.optim.LBFGS(layer.parameters(), max_iter=steps, history_size=20,
                                  line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(layer(train_x), train_y) + weight_decay * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return 100.0 * (layer(test_x).argmax(1) == test_y).double().mean().item()


def welch_angle(num_classes: int, dim: int) -> float:
    """The largest possible smallest angle (degrees) of N lines in R^d, from the Welch bound."""
    if num_classes <= dim:
        return 90.0
    return math.degrees(math.acos(math.sqrt((num_classes - dim) / (dim * (num_classes - 1)))))
