"""Bundled resources: example graphs (JSON), icons (SVG), styles (QSS). No code, no Qt."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXAMPLES = ROOT / "examples"
ICONS = ROOT / "icons"
STYLES = ROOT / "styles"


def examples() -> dict[str, Path]:
    """Example name (file stem, e.g. "tutorial") -> path, sorted by name."""
    return {p.stem: p for p in sorted(EXAMPLES.glob("*.json"))}


def example(name: str) -> Path:
    """The path of one bundled example; KeyError names the available ones."""
    found = examples()
    if name not in found:
        raise KeyError(f"no example {name!r} (available: {', '.join(found)})")
    return found[name]
