from .fashion_mnist import LocalFashionMNIST
from .incremental import ClassIncrementalDataset
from .synthetic import SyntheticClassification
from .transforms import ToGrey

__all__ = ['ClassIncrementalDataset', 'LocalFashionMNIST', 'SyntheticClassification', 'ToGrey']
