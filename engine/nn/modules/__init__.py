"""torch.nn's module classes."""
from .activation import (  # noqa: E501,F401
                     ELU,
                     GELU,
                     LeakyReLU,
                     LogSoftmax,
                     ReLU,
                     Sigmoid,
                     SiLU,
                     Softmax,
                     Softplus,
                     Tanh,
)
from .container import ModuleDict, ModuleList, ParameterList, Sequential  # noqa: F401
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d  # noqa: F401
from .layers import BatchNorm1d, BatchNorm2d, Dropout, Embedding, Flatten, LayerNorm, Unflatten  # noqa: F401
from .linear import Bilinear, Identity, LazyLinear, Linear  # noqa: F401
from .loss import (  # noqa: F401
                     BCELoss,
                     BCEWithLogitsLoss,
                     CrossEntropyLoss,
                     HuberLoss,
                     L1Loss,
                     MSELoss,
                     NLLLoss,
                     SmoothL1Loss,
)
from .module import Module  # noqa: F401
