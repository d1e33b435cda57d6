from .fashion_mnist import LocalFashionMNIST
from .incremental import ClassIncrementalDataset
from .transforms import ToGrey

__all__ = ['ClassIncrementalDataset', 'LocalFashionMNIST', 'ToGrey']
