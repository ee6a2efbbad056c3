from ._native import *  # noqa: F403
from ._native import __all__ as __all__
from ._native import __version__ as __version__
