from .small_conv_net import SmallConvNet

__all__ = ['SmallConvNet']
