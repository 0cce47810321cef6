"""A long random session on the real MainWindow, offscreen (issue 9: memory flat, every action
under a second, no exception).

    QT_QPA_PLATFORM=offscreen python3 benchmarks/bench_soak.py [--actions 3000] [--seed 0]
        [--every 100] [--size 1440x900] [--warmup 500] [--log]

A seeded random user (same seed, same session) drives the window through what a person does:
ops added from the palette (a real double-click on its tree) or the Tab search, wires dragged
from an output port to an input port and nodes clicked (real QMouseEvents on the canvas's
viewport), params, names and flags typed or clicked in the inspector (real key and mouse
events, bad input included: "abc", "-inf", "1e400", 2**70), and the window's own actions:
undo/redo, backward, zero grads, grad mode, retain_graph, step-through, set root, detach,
freeze, no_grad frame, copy/cut/paste/duplicate, delete, select all, layout, fit, zoom, theme
switches, File > New and File > Open of an example (the dialogs answer as a user would).

Every `--every` actions it prints a row: resident memory (VmRSS from /proc/self/statm), the
live QWidgets (QApplication.allWidgets()), the inspector's child QObjects, Python objects
(gc), undo steps, nodes, and the slowest action so far (CPU time: time.process_time, what the
GUI thread spends; robust on a shared machine). At the end: the RSS growth after `--warmup`
actions as a least-squares slope in MB per 1,000 actions, the slowest action, and every
exception (raised by an action or reaching sys.excepthook, where Qt sends a slot's). Exit
status 1 when an exception happened, an action took >= 1 s of CPU, or the slope is over
`--max-slope` MB per 1,000 actions.

Code under test: this checkout, or with PYTHONPATH set, whatever that points at.
tests/app/test_soak.py runs a short session and asserts the counts.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if not os.environ.get("PYTHONPATH"):  # else measure the code PYTHONPATH names
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QEventLoop, QObject, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.json"))
PAGE = 4096

# what a person types into a field of each kind: ordinary values and the bad input that
# random use found faults with
NUMBERS = ["0", "1", "-1", "2", "0.5", "-2.5", "3", "10", "1e-3", "-inf", "inf", "nan",
           "1e400", "abc", "", str(2 ** 70), str(-2 ** 63), "None"]
SHAPES = ["3", "2, 3", "(4,)", "1", "2,2", "5, 3", "", "x", "-1", "0", "2, 3, 2"]
DIMS = ["0", "1", "-1", "(0, 1)", "", "5", "-2", "x"]
TEXTS = ["", "a", "mean", "sum", "none", "x"]
NAMES = ["a", "w", "b2", "loss", "z", "x y", "", "1abc", "out"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2 ** 20


def slope(xs, ys) -> float:
    """Least-squares slope of ys over xs (0 for fewer than two points)."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return 0.0 if sxx == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


@dataclass
class Sample:
    actions: int
    rss: float
    widgets: int
    inspector_children: int
    py_objects: int
    undo_steps: int
    nodes: int
    slowest: float      # the slowest action since the previous sample (CPU s)
    qobjects: int = 0   # the window's descendant QObjects


@dataclass
class Report:
    samples: list = field(default_factory=list)
    exceptions: list = field(default_factory=list)   # (action index, name, traceback text)
    times: dict = field(default_factory=dict)        # action name -> [cpu seconds]
    slowest: tuple = (0.0, "", -1)                   # (cpu s, action, index)
    undo_checks: list = field(default_factory=list)  # (action index, restored?)
    counts: dict = field(default_factory=dict)       # action name -> times run

    def rss_slope(self, warmup: int) -> float:
        """MB per 1,000 actions after `warmup` actions."""
        pts = [(s.actions, s.rss) for s in self.samples if s.actions >= warmup]
        return 1000 * slope([p[0] for p in pts], [p[1] for p in pts])


class Session:
    """One seeded random user at one window."""

    def __init__(self, window, seed: int = 0, log=None, only=None) -> None:
        self.w = window
        self.rng = random.Random(seed)
        self.log = log
        self.report = Report()
        self.index = 0
        self._base = None  # the document the current undo stack starts from
        self._interval_slowest = 0.0
        self._mark_base()
        self.actions = [  # (weight, name, function)
            (10, "add_from_palette", self.add_from_palette),
            (3, "add_from_search", self.add_from_search),
            (10, "wire", self.wire),
            (12, "select", self.select),
            (14, "edit_param", self.edit_param),
            (2, "rename", self.rename),
            (3, "toggle_flag", self.toggle_flag),
            (6, "undo", lambda: self.trigger("undo")),
            (4, "redo", lambda: self.trigger("redo")),
            (5, "backward", lambda: self.trigger("autograd_backward")),
            (2, "zero_grad", lambda: self.trigger("autograd_zero_grads")),
            (2, "grad_mode", lambda: self.trigger("autograd_grad_mode")),
            (1, "retain_graph", lambda: self.trigger("autograd_retain_graph")),
            (2, "step", lambda: self.trigger("autograd_step")),
            (1, "set_root", lambda: self.on_selection("autograd_set_root")),
            (1, "detach", lambda: self.on_selection("autograd_detach")),
            (1, "freeze", lambda: self.on_selection("autograd_freeze")),
            (1, "no_grad_frame", lambda: self.on_selection("autograd_no_grad_frame")),
            (1, "retain_grad", lambda: self.on_selection("autograd_retain_grad")),
            (3, "copy_paste", self.copy_paste),
            (1, "cut", lambda: self.on_selection("cut")),
            (1, "duplicate", lambda: self.on_selection("duplicate")),
            (4, "delete", lambda: self.on_selection("delete")),
            (1, "select_all", lambda: self.trigger("select_all")),
            (1, "layout", lambda: self.trigger("layout")),
            (2, "fit", lambda: self.trigger("fit")),
            (1, "zoom", lambda: self.trigger(self.rng.choice(["zoom_in", "zoom_out"]))),
            (1, "theme", self.theme),
            (1, "new", self.new),
            (1, "open_example", self.open_example),
        ]
        if only:  # a subset, to find which action a growth comes from
            unknown = set(only) - {a[1] for a in self.actions}
            if unknown:
                raise ValueError(f"unknown actions: {sorted(unknown)}")
            self.actions = [a for a in self.actions if a[1] in only]
        self._weights = [a[0] for a in self.actions]

    # ------------------------------------------------------------------ running
    def run(self, n: int, every: int = 100, on_sample=None) -> Report:
        hook_before = sys.excepthook

        def hook(t, e, tb):
            self.report.exceptions.append(
                (self.index, "excepthook", "".join(traceback.format_exception(t, e, tb))))
            hook_before(t, e, tb)
        sys.excepthook = hook
        try:
            self.settle()
            self.sample(on_sample)
            for _ in range(n):
                self.step()
                if self.index % every == 0:
                    self.sample(on_sample)
        finally:
            sys.excepthook = hook_before
        return self.report

    def step(self) -> None:
        _, name, fn = self.rng.choices(self.actions, weights=self._weights)[0]
        self.index += 1
        t0 = time.process_time()
        try:
            fn()
            self.settle()
        except Exception:  # noqa: BLE001 - every exception is a finding: record it
            self.report.exceptions.append((self.index, name, traceback.format_exc()))
        dt = time.process_time() - t0
        self.report.times.setdefault(name, []).append(dt)
        self.report.counts[name] = self.report.counts.get(name, 0) + 1
        if dt > self.report.slowest[0]:
            self.report.slowest = (dt, name, self.index)
        self._interval_slowest = max(self._interval_slowest, dt)
        if self.log:
            self.log(f"{self.index:6d} {name:18s} {dt * 1000:8.1f} ms")

    def settle(self) -> None:
        """Let the window do what it does after an input: its zero-delay timers (the
        coalesced forward), repaints, and deferred deletes, as the event loop would."""
        w = self.w
        for _ in range(20):
            loop = QEventLoop()
            QTimer.singleShot(0, loop.quit)
            loop.exec()
            if not w._refresh_timer.isActive():
                break
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)

    def sample(self, on_sample=None) -> Sample:
        gc.collect()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        s = Sample(self.index, rss_mb(), len(QApplication.allWidgets()),
                   len(self.w.inspector.findChildren(QObject)), len(gc.get_objects()),
                   self.w.undo_stack.count(), len(self.w.document().nodes),
                   self._interval_slowest, len(self.w.findChildren(QObject)))
        self._interval_slowest = 0.0
        self.report.samples.append(s)
        if on_sample:
            on_sample(s)
        return s

    # ------------------------------------------------------------------ undo check
    def _mark_base(self) -> None:
        self._base = self.w.document().to_dict()

    def undo_all_restores_base(self) -> bool:
        """Undo every step of the current stack: the document it started from comes back."""
        stack = self.w.undo_stack
        while stack.canUndo():
            stack.undo()
            self.settle()
        return self.w.document().to_dict() == self._base

    # ------------------------------------------------------------------ input helpers
    def trigger(self, key: str) -> bool:
        a = self.w.acts.get(key)
        if a is None or not a.isEnabled():
            return False
        a.trigger()
        return True

    def on_selection(self, key: str) -> None:
        if not self.w.scene.selected_node_ids() and not self.select():
            return
        self.trigger(key)

    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        view = self.w.view
        p = view.mapFromScene(scene_pos)
        return QPointF(p) if view.viewport().rect().contains(p) else None

    def _visible(self, scene_pos: QPointF) -> QPointF | None:
        """`scene_pos` in viewport coordinates, fitting the view first when it is out of it."""
        p = self._view_point(scene_pos)
        if p is None:
            self.trigger("fit")
            self.settle()
            p = self._view_point(scene_pos)
        return p

    def _mouse(self, kind, pos: QPointF, buttons=Qt.MouseButton.LeftButton) -> None:
        view = self.w.view
        left = Qt.MouseButton.LeftButton
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else left
        if kind == QEvent.Type.MouseButtonRelease:
            buttons = Qt.MouseButton.NoButton
        glob = QPointF(view.viewport().mapToGlobal(pos.toPoint()))
        QApplication.sendEvent(view.viewport(), QMouseEvent(
            kind, pos, glob, button, buttons, Qt.KeyboardModifier.NoModifier))

    def _click(self, pos: QPointF) -> None:
        self._mouse(QEvent.Type.MouseButtonPress, pos)
        self._mouse(QEvent.Type.MouseButtonRelease, pos)

    def _drag(self, a: QPointF, b: QPointF, steps: int = 5) -> None:
        self._mouse(QEvent.Type.MouseButtonPress, a)
        for i in range(1, steps + 1):
            self._mouse(QEvent.Type.MouseMove, a + (b - a) * (i / steps))
        self._mouse(QEvent.Type.MouseButtonRelease, b)

    def _items(self):
        return list(self.w.scene.node_items())

    # ------------------------------------------------------------------ actions
    def add_from_palette(self) -> None:
        pal = self.w.palette
        keys = pal.visible_op_keys()
        if not keys:
            pal.search.clear()
            keys = pal.visible_op_keys()
        item = pal.op_item(self.rng.choice(keys))
        pal.tree.scrollToItem(item)
        rect = pal.tree.visualItemRect(item)
        vp = pal.tree.viewport()
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, pos=rect.center())
        QTest.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=rect.center())

    def add_from_search(self) -> None:
        """Tab over the canvas opens the op search; type a few letters, Enter."""
        from engine.document import catalog
        key = self.rng.choice(sorted(catalog.CATALOG))
        view = self.w.view
        view.setFocus()
        QTest.keyClick(view, Qt.Key.Key_Tab)
        self.settle()
        popup = self.w.popup
        if not popup.isVisible():
            return
        QTest.keyClicks(popup.edit, key.split(".")[-1][:4])
        QTest.keyClick(popup.edit, Qt.Key.Key_Return)
        if popup.isVisible():
            popup.hide()

    def select(self) -> bool:
        items = self._items()
        if not items:
            return False
        item = self.rng.choice(items)
        p = self._visible(item.pos() + QPointF(item.body_rect().width() / 2, 8))
        if p is None:
            return False
        self._click(p)
        return True

    def wire(self) -> None:
        items = self._items()
        if len(items) < 2:
            return
        src, dst = self.rng.sample(items, 2)
        slots = list(dst._slots)
        if not slots:
            return
        port, index = self.rng.choice(slots)[:2]
        self.trigger("fit")
        self.settle()
        a = self._view_point(src.output_port_scene_pos())
        b = self._view_point(dst.input_port_scene_pos(port, index))
        if a is not None and b is not None:
            self._drag(a, b)

    def _editor_widgets(self):
        insp = self.w.inspector
        return [(name, e.widget) for name, e in insp.editors.items()
                if e.widget.isVisible() and e.widget.isEnabled()]

    def edit_param(self) -> None:
        if self.w.inspector.node_id is None and not self.select():
            return
        self.settle()
        editors = self._editor_widgets()
        if not editors:
            return
        name, widget = self.rng.choice(editors)
        spec = getattr(self.w.inspector, "spec", None)
        kind = next((p.kind for p in spec.params if p.name == name), "str") if spec else "str"
        if isinstance(widget, QCheckBox):
            QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
        elif isinstance(widget, QComboBox):
            if widget.count():
                widget.setFocus()
                QTest.keyClick(widget, self.rng.choice([Qt.Key.Key_Down, Qt.Key.Key_Up]))
        elif isinstance(widget, (QAbstractSpinBox, QLineEdit)):
            pool = {"shape": SHAPES, "dims": DIMS, "str": TEXTS}.get(kind, NUMBERS)
            self._type(widget, self.rng.choice(pool))
        else:  # the literal editor: a cell of its table, or its text
            table = getattr(widget, "table", None)
            if table is not None and table.isVisible() and table.rowCount() and \
                    table.columnCount():
                r = self.rng.randrange(table.rowCount())
                c = self.rng.randrange(table.columnCount())
                cell = table.item(r, c)
                if cell is not None:
                    cell.setText(self.rng.choice(NUMBERS))  # as the cell editor commits
            elif getattr(widget, "text", None) is not None:
                self._type(widget.text, self.rng.choice(["[1.0, 2.0]", "[[1, 2]]", "x", "3"]))

    def _type(self, widget, text: str) -> None:
        line = widget.lineEdit() if isinstance(widget, QAbstractSpinBox) else widget
        widget.setFocus()
        line.selectAll()
        QTest.keyClick(line, Qt.Key.Key_Delete)
        if text:
            QTest.keyClicks(line, text)
        QTest.keyClick(line, Qt.Key.Key_Return)

    def rename(self) -> None:
        if self.w.inspector.node_id is None and not self.select():
            return
        self.settle()
        edit = getattr(self.w.inspector, "name_edit", None)
        if edit is not None and edit.isVisible():
            self._type(edit, self.rng.choice(NAMES))

    def toggle_flag(self) -> None:
        if self.w.inspector.node_id is None and not self.select():
            return
        self.settle()
        boxes = [b for b in self.w.inspector.flag_boxes.values() if b.isVisible()]
        if boxes:
            QTest.mouseClick(self.rng.choice(boxes), Qt.MouseButton.LeftButton)

    def copy_paste(self) -> None:
        if not self.w.scene.selected_node_ids() and not self.select():
            return
        self.trigger("copy")
        self.settle()
        self.trigger("paste")

    def theme(self) -> None:
        self.trigger(self.rng.choice(["theme_dark", "theme_light"]))

    def new(self) -> None:
        if self.trigger("new"):
            self.settle()
            self._mark_base()

    def open_example(self) -> None:
        path = str(self.rng.choice(EXAMPLES))
        _answers.open_path = path
        if self.trigger("open"):
            self.settle()
            self._mark_base()


class _Answers:
    """The dialogs answer as a user who does not save: Discard, No; File > Open is given
    an example's path."""
    open_path = ""

    def install(self) -> None:
        def discard(*_a, **_k):
            return QMessageBox.StandardButton.Discard

        def no(*_a, **_k):
            return QMessageBox.StandardButton.No

        def ok(*_a, **_k):
            return QMessageBox.StandardButton.Ok
        QMessageBox.warning = staticmethod(discard)
        QMessageBox.question = staticmethod(no)
        QMessageBox.critical = staticmethod(ok)
        QMessageBox.information = staticmethod(ok)
        QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (self.open_path, ""))
        QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: ("", ""))


_answers = _Answers()


def make_window(size=(1440, 900)):
    """A shown MainWindow with the tutorial open, settings and recovery files in a temporary
    folder (never the user's), the dialogs answered by `_Answers`."""
    tmp = tempfile.mkdtemp(prefix="gradcanvas-soak-")
    os.environ.setdefault("GRADCANVAS_SETTINGS_DIR", os.path.join(tmp, "settings"))
    os.environ.setdefault("GRADCANVAS_RECOVERY_DIR", os.path.join(tmp, "recovery"))
    from app.main_window import create_application, startup_window
    create_application()
    _answers.install()
    w = startup_window(None)
    w.resize(*size)
    w.show()
    return w


def close_window(w) -> None:
    import shiboken6
    if shiboken6.isValid(w):
        w.undo_stack.setClean()
        w.close()
    for _ in range(3):
        QApplication.processEvents()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def print_table(report: Report) -> None:
    print(f"{'actions':>7} {'RSS MB':>8} {'widgets':>8} {'insp.obj':>8} {'py objs':>9} "
          f"{'undo':>5} {'nodes':>5} {'qobjects':>8} {'slowest ms':>10}")
    for s in report.samples:
        print(f"{s.actions:7d} {s.rss:8.1f} {s.widgets:8d} {s.inspector_children:8d} "
              f"{s.py_objects:9d} {s.undo_steps:5d} {s.nodes:5d} {s.qobjects:8d} "
              f"{s.slowest * 1000:10.1f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--actions", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--every", type=int, default=100, help="sample every N actions")
    ap.add_argument("--size", default="1440x900")
    ap.add_argument("--warmup", type=int, default=500,
                    help="actions before the RSS slope is fitted")
    ap.add_argument("--max-slope", type=float, default=5.0,
                    help="MB per 1,000 actions above which the run fails")
    ap.add_argument("--log", action="store_true", help="print every action and its time")
    ap.add_argument("--only", default="", help="comma-separated action names: run only those")
    args = ap.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    w = make_window(size)
    try:
        only = [a for a in args.only.split(",") if a]
        session = Session(w, args.seed, log=print if args.log else None, only=only)
        t0 = time.perf_counter()
        report = session.run(args.actions, args.every)
        wall = time.perf_counter() - t0
        restored = session.undo_all_restores_base()
    finally:
        close_window(w)
    print_table(report)
    warm = min(args.warmup, args.actions // 2)
    growth = report.rss_slope(warm)
    dt, name, idx = report.slowest
    print(f"\n{args.actions} actions, seed {args.seed}, {wall:.1f} s wall")
    print(f"RSS growth after {warm} actions: {growth:+.2f} MB per 1,000 actions "
          f"({report.samples[0].rss:.1f} -> {report.samples[-1].rss:.1f} MB)")
    print(f"slowest action: {name} #{idx}, {dt * 1000:.0f} ms CPU")
    per = sorted(((max(v), k, len(v), sum(v) / len(v)) for k, v in report.times.items()),
                 reverse=True)
    print("per action: max / mean ms CPU (count)")
    for mx, k, n, mean in per:
        print(f"  {k:18s} {mx * 1000:8.1f} {mean * 1000:8.1f}  ({n})")
    print(f"undo all returns to the document the stack started from: {restored}")
    print(f"exceptions: {len(report.exceptions)}")
    for i, where, text in report.exceptions[:10]:
        print(f"--- action #{i} ({where})\n{text}")
    ok = not report.exceptions and dt < 1.0 and growth <= args.max_slope and restored
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
