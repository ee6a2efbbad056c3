"""backfire_kernel — the Backfire safety interlock and phase-dynamics models,
compiled from Rust.

Classes are available under the seed guide's names (``SafetyKernel``,
``UPDEStepper``, …) and the reference module's ``Rust``-prefixed names
(``RustSafetyKernel``, ``RustUPDEStepper``, …); both refer to the same class.
"""

from ._native import *  # noqa: F403 - the extension defines __all__
from ._native import __all__, __version__  # noqa: F401
