from .riemannian_sgd import RiemannianSGD, is_grassmann

__all__ = ['RiemannianSGD', 'is_grassmann']
