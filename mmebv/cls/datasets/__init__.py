from .fashion_mnist import LocalFashionMNIST
from .transforms import ToGrey

__all__ = ['LocalFashionMNIST', 'ToGrey']
