"""cornu: Keras, rebuilt on PyTorch.

>>> import cornu
>>> cornu.__version__
'0.1.0'
"""

from cornu import backend

__version__ = "0.1.0"
__all__ = ["backend", "__version__"]
