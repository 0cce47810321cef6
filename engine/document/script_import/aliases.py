"""``import torch`` (and every ``torch.*`` submodule) resolves to the engine -- in the import
child only. A torch submodule the engine lacks fails as a ModuleNotFoundError naming it."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys


class _EngineLoader(importlib.abc.Loader):
    def __init__(self, module) -> None:
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        pass


class TorchFinder(importlib.abc.MetaPathFinder):
    """``torch.X.Y`` -> the already-imported or importable ``engine.X.Y``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        target_name = "engine" + fullname[len("torch"):]
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as e:
            if e.name and target_name.startswith(e.name):
                raise ModuleNotFoundError(f"No module named {fullname!r} (GradCanvas's engine "
                                          "has no such module)", name=fullname) from None
            raise
        return importlib.machinery.ModuleSpec(fullname, _EngineLoader(module))


def install() -> None:
    import engine
    for name, module in list(sys.modules.items()):
        if name == "engine" or name.startswith("engine.") and module is not None:
            if not name.startswith("engine.document"):
                sys.modules["torch" + name[len("engine"):]] = module
    sys.modules["torch"] = engine
    sys.meta_path.insert(0, TorchFinder())
