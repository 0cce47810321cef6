"""The README's "See what autograd sees" screenshots (issue 14), made offscreen from the real
window: ``QT_QPA_PLATFORM=offscreen python tools/issue14_screenshots.py [docs]``.

Each view is driven as a person would (the examples loaded with ``win.files.load``, backward
and step-through through the autograd controls, a real pointer move over a saved tensor's row)
and grabbed with ``QWidget.grab()``, cropped to what the picture is about.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="gc-shots-")  # never the user's settings or recovery files
os.environ["GRADCANVAS_SETTINGS_DIR"] = os.path.join(_tmp, "settings")
os.environ["GRADCANVAS_RECOVERY_DIR"] = os.path.join(_tmp, "recovery")

from PySide6.QtCore import QPoint, QRect  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

EXAMPLES = ROOT / "resources" / "examples"


def pump(n: int = 20) -> None:
    for _ in range(n):
        QApplication.processEvents()
        QTest.qWait(5)


def window(example: str):
    from app.main_window import MainWindow
    w = MainWindow()
    w.resize(1440, 900)
    w.show()
    pump()
    assert w.files.load(str(EXAMPLES / example)), example
    w._refresh_timer.stop()
    w.autograd.host.request_refresh(now=True)
    pump()
    w.undo_stack.setClean()
    return w


def close(w) -> None:
    from PySide6.QtCore import QEvent
    w.undo_stack.setClean()
    w.close()
    for _ in range(3):  # as the tests do: the closed window's deferred deletes now
        QApplication.processEvents()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def select(w, name: str) -> str:
    nid = next(i for i, n in w.document().nodes.items() if n.name == name)
    w.select_nodes([nid])
    pump()
    return nid


def save(pixmap, path: Path, rect: QRect | None = None) -> None:
    if rect is not None:
        pixmap = pixmap.copy(rect)
    pixmap.save(str(path))
    print(f"{path}: {pixmap.width()}x{pixmap.height()}, {path.stat().st_size // 1024} KB")


def hide_bottom_docks(w) -> None:
    """The log and code docks: the canvas gets the window's height."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget
    for d in w.findChildren(QDockWidget):
        if w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea:
            d.hide()
    pump()


def widget_rect(w, widget, margin: int = 0) -> QRect:
    """``widget``'s rectangle in window ``w``'s coordinates."""
    top_left = widget.mapTo(w, QPoint(0, 0))
    return QRect(top_left, widget.size()).adjusted(-margin, -margin, margin, margin) \
        .intersected(w.rect())


def saved_hover(out: Path) -> None:
    """The backward-graph dock lists what loss's grad_fn saved; the pointer on _saved_self
    rings z on the canvas and AddBackward0 (which produced z) in the backward graph."""
    w = window("tutorial.json")
    ctl = w.autograd
    hide_bottom_docks(w)
    ctl.backward_dock.show()
    ctl.backward_dock.raise_()
    pump()
    ctl.update_backward_view_now()
    w.fit()
    select(w, "loss")
    ctl.graph.follow_selection()
    pump()
    box = ctl.graph.saved_box
    row = next(r for r in box.rows() if r.text().strip().startswith("_saved_self:"))
    ctl.graph.saved_scroll.ensureWidgetVisible(row, 0, 0)
    pump()
    seen = row.visibleRegion().boundingRect()
    QTest.mouseMove(row, QPoint(seen.left() + 6, seen.center().y()))
    pump()
    assert w.scene.saved_source() is not None, "the hover did not reach the row"
    # the canvas from x to loss, and the whole right column (backward graph and its list)
    canvas = widget_rect(w, w.view)
    dock = widget_rect(w, ctl.backward_dock)
    save(w.grab(), out / "saved_hover.png",
         QRect(QPoint(canvas.left(), dock.top()), dock.bottomRight()))
    close(w)


def timeline(out: Path) -> None:
    """The tutorial's optional part: out.backward(ones, retain_graph=True) twice, zero_grad,
    once more -- the calls and each leaf's ||.grad|| as a sparkline."""
    w = window("tutorial.json")
    ctl = w.autograd
    ctl.set_retain_graph(True)
    pump()
    for step in ("b", "b", "z", "b", "b"):
        if step == "b":
            ctl.backward()
        else:
            ctl.zero_grads()
        pump(5)
    pump()
    dock = ctl.insight.timeline_dock
    dock.setFloating(True)  # a size of its own, wide enough for every column
    dock.resize(980, 250)
    dock.show()
    pump()
    save(dock.grab(), out / "backward_timeline.png")
    close(w)


def chain_rule(out: Path) -> None:
    """Step-through at MmBackward0: grad_output -> the vector-Jacobian product -> grad_input,
    with the canvas showing the gradients on the wires so far."""
    w = window("tutorial.json")
    ctl = w.autograd
    select(w, "loss")
    ctl.step_through()
    pump()
    player = ctl.player
    target = next(i for i, s in enumerate(player.steps) if s.name == "MmBackward0")
    ctl.seek_step(target)
    pump()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget
    dock, steps = ctl.insight.formula_dock, ctl.step_dock
    for d in w.findChildren(QDockWidget):  # under the canvas: the step controls and formula
        if w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea and \
                d not in (dock, steps):
            d.hide()
    pump()
    w.resizeDocks([dock, steps], [880, 380], Qt.Orientation.Horizontal)
    w.resizeDocks([dock], [190], Qt.Orientation.Vertical)
    pump()
    w.fit()
    pump()
    assert player.index == target, "the step-through stopped"
    canvas = widget_rect(w, w.view)
    formula = widget_rect(w, dock)
    rect = QRect(QPoint(canvas.left(), canvas.top()),
                 QPoint(max(canvas.right(), formula.right()), formula.bottom()))
    save(w.grab(), out / "chain_rule.png", rect)
    close(w)


def gradient_penalty(out: Path) -> None:
    """loss = y + ||dy/dx||^2 through an autograd.grad(create_graph=True) node, after
    backward: the canvas and the backward graph that the double backward walks."""
    w = window("gradient_penalty.json")
    ctl = w.autograd
    hide_bottom_docks(w)
    ctl.backward()
    pump()
    # the backward graph in a window of its own, the canvas over the whole width
    dock = ctl.backward_dock
    dock.setFloating(True)
    dock.resize(470, 780)
    dock.show()
    w.inspector_dock.hide()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget
    for d in w.findChildren(QDockWidget):  # the palette too: the canvas gets the width
        if w.dockWidgetArea(d) == Qt.DockWidgetArea.LeftDockWidgetArea:
            d.hide()
    pump()
    ctl.update_backward_view_now()
    w.view.fit()
    pump()
    from PySide6.QtGui import QPainter, QPixmap
    nodes = w.view.mapFromScene(w.view.nodes_rect()).boundingRect().adjusted(-16, -16, 16, 16)
    canvas = w.view.viewport().grab().copy(nodes.intersected(w.view.viewport().rect()))
    graph = dock.grab()
    pic = QPixmap(canvas.width() + graph.width(), max(canvas.height(), graph.height()))
    from widgets import theme
    pic.fill(theme.color("canvas"))
    p = QPainter(pic)
    p.drawPixmap(0, (pic.height() - canvas.height()) // 2, canvas)
    p.drawPixmap(canvas.width(), 0, graph)
    p.end()
    save(pic, out / "gradient_penalty.png")
    close(w)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Path(argv[0]) if argv else ROOT / "docs"
    names = argv[1:] or ["saved_hover", "timeline", "chain_rule", "gradient_penalty"]
    out.mkdir(parents=True, exist_ok=True)
    if len(names) > 1:  # one process per picture: each starts from a fresh application
        import subprocess
        return max(subprocess.call([sys.executable, __file__, str(out), n]) for n in names)
    from app.startup import create_application
    create_application(["gradcanvas"])
    globals()[names[0]](out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
