"""The autograd controls' actions, declared once in a table, and the menu, toolbar and
status-bar label that show them. The controller connects the triggers to its methods."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QLabel, QMenu

from .. import actions as _actions

GRAD_MODE_TEXTS = ("&Grad Mode: enable_grad", "&Grad Mode: no_grad")

# (key, text, icon, shortcut, checkable, tip)
SPECS = (
    ("backward", "&Backward", "backward", "Ctrl+B", False,
     "root.backward(): from the selected node if it can be a root, else the document's root"),
    ("zero_grads", "&Zero Grads", "zero-grad", "Ctrl+Shift+G", False,
     "x.grad.zero_() on every leaf (and retain_grad node)"),
    ("retain_graph", "retain_&graph", None, None, True,
     "backward(retain_graph=True): keep the graph for another backward (undoable setting)"),
    ("grad_mode", "&Grad Mode: enable_grad", None, None, True,
     "Global grad mode: torch.enable_grad() when checked, torch.no_grad() when not"),
    ("seed", "Backward &Seed…", None, None, False,
     "The gradient a non-scalar root is seeded with: ones_like(root) by default"),
    ("step", "S&tep-through Backward", "step", "Ctrl+Shift+B", False,
     "Play the backward pass one grad_fn at a time, in the engine's order"),
    ("verify", "&Verify with PyTorch", "verify", None, False,
     "Run the graph in torch with the same numbers and compare every leaf's .grad"),
    ("no_grad_frame", "Create &no_grad Frame from Selection", "no-grad", "Ctrl+Alt+G", False,
     "with torch.no_grad(): around the selected nodes"),
    ("detach", "&Detach", "detach", "Ctrl+Shift+D", False,
     "z_det = z.detach(): a detach node takes over the selected node's consumers"),
    ("freeze", "&Freeze", "freeze", "Ctrl+Shift+F", True,
     "Leaves: requires_grad off (frozen parameter). Ops: freeze the output (acts as detach)"),
    ("retain_grad", "&retain_grad()", None, None, True,
     "Keep .grad on the selected non-leaf nodes"),
    ("set_root", "Set as Backward &Root", None, "Ctrl+R", True,
     "Backward starts from this node by default"),
)


class AutogradActions:
    """The actions (``acts``), the Autograd menu, its toolbar with the retain_graph box, and
    the graph-version label, installed on the host window."""

    def __init__(self, host) -> None:
        parent = host.widget()
        self.acts: dict[str, QAction] = {}
        for key, text, icon, keys, checkable, tip in SPECS:
            a = QAction(text, parent)
            a.setObjectName(f"action_{key}")
            a.setCheckable(checkable)
            if keys:
                a.setShortcut(QKeySequence(keys))
            a.setStatusTip(tip)
            a.setToolTip(tip)
            a.setProperty("iconName", icon or "")
            if icon:
                a.setIcon(_actions.icon(icon))
            self.acts[key] = a
        # listed in Help > Shortcuts and re-tinted with the theme like the shell's actions
        host.register_actions(self.acts, "autograd_")
        self.menu = self._menu(parent)
        host.add_menu(self.menu)
        self.toolbar, self.retain_box = self._toolbar(host)
        self.version_label = QLabel(parent)
        self.version_label.setObjectName("graphVersionLabel")
        self.version_label.setToolTip(
            "Graph version: +1 every time forward rebuilds the recorded graph")
        host.add_status_widget(self.version_label)

    def _menu(self, parent) -> QMenu:
        m = QMenu("&Autograd", parent)
        m.setObjectName("menu_autograd")
        a = self.acts
        m.addActions([a["backward"], a["step"], a["zero_grads"]])
        m.addSeparator()
        m.addActions([a["retain_graph"], a["seed"], a["grad_mode"]])
        m.addSeparator()
        m.addActions([a["set_root"], a["no_grad_frame"], a["detach"], a["freeze"],
                      a["retain_grad"]])
        m.addSeparator()
        m.addAction(a["verify"])
        return m

    def _toolbar(self, host):
        tb = host.add_toolbar("Autograd", "toolbar_autograd")
        a = self.acts
        tb.addActions([a["backward"], a["step"], a["zero_grads"]])
        # a real checkbox: retain_graph reads as the keyword argument it is
        box = QCheckBox("retain_graph", tb)
        box.setObjectName("retainGraphBox")
        box.setToolTip(a["retain_graph"].toolTip())
        box.toggled.connect(a["retain_graph"].setChecked)
        a["retain_graph"].toggled.connect(box.setChecked)
        tb.addWidget(box)
        tb.addSeparator()
        tb.addAction(a["grad_mode"])
        self._fix_width(tb.widgetForAction(a["grad_mode"]), a["grad_mode"], GRAD_MODE_TEXTS)
        tb.addSeparator()
        tb.addActions([a["no_grad_frame"], a["detach"], a["freeze"], a["verify"]])
        return tb, box

    @staticmethod
    def _fix_width(button, action, texts) -> None:
        """The widest of ``texts`` sets the button's width, so the toolbar never shifts when
        the text changes."""
        if button is None:
            return
        current = action.text()
        widths = []
        for text in texts:
            action.setText(text)
            button.adjustSize()
            widths.append(button.sizeHint().width())
        action.setText(current)
        button.setFixedWidth(max(widths))

    def sync_settings(self, settings) -> None:
        """Show the document's settings on the checkable actions and the seed entry."""
        a = self.acts
        a["retain_graph"].setChecked(bool(settings.retain_graph))
        a["grad_mode"].setChecked(bool(settings.grad_enabled))
        a["grad_mode"].setText(GRAD_MODE_TEXTS[0] if settings.grad_enabled
                               else GRAD_MODE_TEXTS[1])
        seed = settings.seed
        what = "ones_like" if seed == "ones" else "implicit" if seed is None else "custom"
        a["seed"].setText(f"Backward &Seed… ({what})")

    def sync_selection(self, doc, ids: list[str]) -> None:
        """Checked states and enabled states for the selected nodes."""
        nodes = [doc.nodes[n] for n in ids]
        ops = [n for n in nodes if not n.spec.is_source]
        a = self.acts
        a["freeze"].setChecked(bool(nodes) and all(
            (not n.tracks_grad) if n.spec.is_source else n.frozen_output for n in nodes))
        a["retain_grad"].setChecked(bool(ops) and all(n.retain_grad for n in ops))
        a["set_root"].setChecked(len(ids) == 1 and doc.settings.root == ids[0])

    def update_enabled(self, doc, ids: list[str]) -> None:
        nodes = [doc.nodes[n] for n in ids]
        a = self.acts
        a["detach"].setEnabled(len(ids) == 1)
        a["freeze"].setEnabled(bool(ids))
        a["retain_grad"].setEnabled(any(not n.spec.is_source for n in nodes))
        a["set_root"].setEnabled(len(ids) == 1)
        a["no_grad_frame"].setEnabled(bool(ids))
        a["backward"].setEnabled(bool(doc.nodes))
        a["step"].setEnabled(bool(doc.nodes))


AREA_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
AREA_BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea

__all__ = ["SPECS", "AutogradActions", "AREA_RIGHT", "AREA_BOTTOM"]
