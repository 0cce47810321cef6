"""Colors shared by the canvas painting, the Qt palette and the app's QSS.

Plain hex strings so the app can format them into its stylesheets; `current()` is the active
theme and `set_theme()` switches it (views then call their `apply_theme()`).
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

DARK: dict[str, str] = {
    "window": "#1e2127",
    "base": "#181a1f",
    "alt_base": "#22252b",
    "text": "#d7dae0",
    "text_muted": "#8b929e",
    "accent": "#4aa3ff",
    "border": "#343841",
    "canvas": "#1b1d22",
    "grid_minor": "#23262c",
    "grid_major": "#2c3038",
    "node_body": "#2e333d",
    "node_header": "#373d4a",
    "node_border": "#41464f",
    "node_text": "#e6e8ec",
    "port_in": "#9aa3b2",
    "port_out": "#f2b84b",
    "port_hover": "#ffffff",
    "wire": "#8d96a6",
    "wire_grad": "#f2b84b",
    "wire_nograd": "#5d6470",
    "wire_temp": "#4aa3ff",
    "highlight": "#ffd166",
    "error": "#ef5b5b",
    "error_bg": "#3a2427",
    "blocked": "#c58f4a",
    "grad_fn": "#c792ea",
    "leaf": "#7fd68a",
    "region_fill": "#4aa3ff14",
    "region_border": "#4aa3ff80",
    "refused": "#ef5b5b",
    "lock": "#9fb3c8",
    "step_active": "#4aa3ff",
}

LIGHT: dict[str, str] = {
    "window": "#f3f4f6",
    "base": "#ffffff",
    "alt_base": "#f7f8fa",
    "text": "#1f2328",
    "text_muted": "#6a7380",
    "accent": "#1f6feb",
    "border": "#d0d4da",
    "canvas": "#fafbfc",
    "grid_minor": "#eef0f3",
    "grid_major": "#e0e3e8",
    "node_body": "#ffffff",
    "node_header": "#eef1f5",
    "node_border": "#c3c8d0",
    "node_text": "#1f2328",
    "port_in": "#6a7380",
    "port_out": "#d08a00",
    "port_hover": "#000000",
    "wire": "#7d8694",
    "wire_grad": "#d08a00",
    "wire_nograd": "#b5bbc4",
    "wire_temp": "#1f6feb",
    "highlight": "#e0a100",
    "error": "#d73a49",
    "error_bg": "#fdecee",
    "blocked": "#b0701f",
    "grad_fn": "#8250df",
    "leaf": "#1a7f37",
    "region_fill": "#1f6feb12",
    "region_border": "#1f6feb80",
    "refused": "#d73a49",
    "lock": "#57606a",
    "step_active": "#1f6feb",
}

# One hue per catalog category: a thin stripe on the node header.
CATEGORY_COLORS: dict[str, str] = {
    "Sources": "#7fd68a",
    "Arithmetic": "#4aa3ff",
    "Pointwise": "#56c7c7",
    "Reductions": "#c792ea",
    "Shape": "#f2b84b",
    "Linear algebra": "#5b8def",
    "Activations": "#ff8a65",
    "Losses": "#ef5b5b",
    "Autograd": "#b0b8c4",
    "Comparison": "#e5c07b",
}
_FALLBACK_HUES = ("#9ccc65", "#4dd0e1", "#ba68c8", "#ffb74d", "#7986cb", "#f06292")

THEMES = {"dark": DARK, "light": LIGHT}
_state = {"name": "dark"}


def current() -> dict[str, str]:
    return THEMES[_state["name"]]


def current_name() -> str:
    return _state["name"]


def set_theme(name: str) -> None:
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; expected one of {sorted(THEMES)}")
    _state["name"] = name


def color(key: str) -> QColor:
    """QColor from the active theme; '#rrggbbaa' strings carry alpha."""
    return hex_color(current()[key])


def hex_color(text: str) -> QColor:
    if len(text) == 9:  # QColor reads #aarrggbb; our strings are #rrggbbaa like CSS
        c = QColor(text[:7])
        c.setAlpha(int(text[7:], 16))
        return c
    return QColor(text)


def category_color(category: str, readable: bool = True) -> QColor:
    """The category's hue; with `readable`, darker on the light theme (text, stripes)."""
    hexstr = CATEGORY_COLORS.get(category)
    if hexstr is None:  # a category added later still gets a stable hue of its own
        hexstr = _FALLBACK_HUES[sum(map(ord, category)) % len(_FALLBACK_HUES)]
    c = QColor(hexstr)
    return c.darker(150) if readable and _state["name"] == "light" else c


def qpalette(name: str | None = None) -> QPalette:
    """A QPalette matching the theme, for QApplication.setPalette()."""
    t = THEMES[name or _state["name"]]
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window", QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "base", QPalette.ColorRole.AlternateBase: "alt_base",
        QPalette.ColorRole.Text: "text", QPalette.ColorRole.Button: "alt_base",
        QPalette.ColorRole.ButtonText: "text", QPalette.ColorRole.Highlight: "accent",
        QPalette.ColorRole.ToolTipBase: "base", QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.PlaceholderText: "text_muted", QPalette.ColorRole.Mid: "border",
    }
    for role, key in roles.items():
        p.setColor(role, hex_color(t[key]))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, hex_color(t["text_muted"]))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText,
               hex_color(t["text_muted"]))
    return p
