"""The autograd controls of the main window, one job per module (see controller.py)."""
from .controller import AutogradController
from .dialogs import SeedDialog, VerifyDialog
from .host import Host

__all__ = ["AutogradController", "Host", "SeedDialog", "VerifyDialog"]
