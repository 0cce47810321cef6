"""torch.nn's module classes."""
from .activation import ELU, GELU, ReLU, LeakyReLU, LogSoftmax, Sigmoid, SiLU, Softmax, Softplus, Tanh  # noqa: E501,F401
from .container import ModuleDict, ModuleList, ParameterList, Sequential  # noqa: F401
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d  # noqa: F401
from .layers import (BatchNorm1d, BatchNorm2d, Dropout, Embedding, Flatten,  # noqa: F401
                     LayerNorm, Unflatten)
from .linear import Bilinear, Identity, LazyLinear, Linear  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss,  # noqa: F401
                   MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module  # noqa: F401
