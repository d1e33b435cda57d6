"""Data that the project reads or makes itself, with no OpenMMLab import: Fashion-MNIST's IDX files
(:mod:`.fashion_mnist`) and semi-synthetic classification, detection and segmentation sets made
from them (:mod:`.semisynthetic`)."""
