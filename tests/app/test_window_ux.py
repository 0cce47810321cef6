"""Issue 9, canvas/window items 5, 6, 8 and the Verify root: real widgets, real events,
offscreen."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtTest import QTest

from app import actions as _actions

from .conftest import send_mouse
from .test_autograd_ui import act, controller, nid, select, settle, trigger

pytestmark = pytest.mark.gui


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


# -- item 8: Help > Shortcuts -----------------------------------------------------------------
def test_shortcuts_dialog_lists_action_then_native_keys_without_quirks(qtbot, win):
    dlg = win.show_shortcuts()
    qtbot.waitExposed(dlg)
    t = dlg.table
    assert [t.horizontalHeaderItem(c).text() for c in range(2)] == ["Action", "Keys"]
    rows = {t.item(r, 0).text(): t.item(r, 1).text() for r in range(t.rowCount())}
    native = QKeySequence.SequenceFormat.NativeText
    assert rows["New"] == QKeySequence("Ctrl+N").toString(native)
    assert QKeySequence("Ctrl+X").toString(native) in rows["Cut"].split(", ")
    assert rows["Cut"].split(", ")[0] == QKeySequence("Ctrl+X").toString(native)
    junk = {f"F{i}" for i in range(13, 36)} | {"New", "Cut", "Copy", "Paste", "Open", "Save",
                                               "Undo", "Redo", "Zoom In", "Zoom Out"}
    for action, keys in rows.items():  # no Sun-keyboard or media-key bindings from X11
        if action in {t for _g, t in _actions.GESTURES} or "drag" in action.lower():
            continue
        assert not set(k.strip() for k in keys.split(",")) & junk, (action, keys)
    assert all(k.toString() not in junk for k in act(win, "cut").shortcuts())
    dlg.close()


# -- item 8: the empty canvas says how to start -----------------------------------------------
def _hint_pixels(win) -> int:
    """Pixels that differ from the canvas colour in a band through the view's centre."""
    img: QImage = win.view.viewport().grab().toImage()
    cy = img.height() // 2
    bg = img.pixelColor(3, 3)
    count = 0
    for y in range(cy - 12, cy + 12):
        for x in range(img.width() // 4, 3 * img.width() // 4, 2):
            c = img.pixelColor(x, y)
            if abs(c.lightness() - bg.lightness()) > 40:
                count += 1
    return count


def test_empty_canvas_shows_a_hint_until_a_node_exists(qtbot, win):
    trigger(qtbot, win, "new")
    qtbot.waitUntil(lambda: not win.document().nodes)
    qtbot.wait(20)
    assert win.view.is_empty()
    assert _hint_pixels(win) > 50  # text drawn across the centre
    win.add_node("ones", QPointF(-3000, -3000), select=False)  # far away: off screen
    settle(qtbot, win)
    qtbot.wait(20)
    assert not win.view.is_empty()
    assert _hint_pixels(win) == 0


def test_double_click_on_empty_canvas_opens_the_op_search(qtbot, win):
    trigger(qtbot, win, "new")
    qtbot.wait(10)
    p = QPointF(win.view.viewport().rect().center())
    send_mouse(win.view, QEvent.Type.MouseButtonDblClick, p)
    qtbot.waitUntil(lambda: win.popup.isVisible(), timeout=2000)
    win.popup.hide()


# -- item 6: nothing moves when a label changes ----------------------------------------------
def test_step_buttons_keep_their_place_while_the_label_changes(qtbot, win):
    ctl = controller(win)
    trigger(qtbot, win, "step")
    panel = ctl.step_panel
    qtbot.waitUntil(panel.isVisible)
    buttons = (panel.first_button, panel.prev_button, panel.play_button, panel.next_button,
               panel.last_button)

    def geometry():
        return [b.mapTo(win, b.rect().topLeft()) for b in buttons] + \
            [b.size() for b in buttons] + [panel.size()]

    before = geometry()
    texts = set()
    for _ in range(len(panel._names) + 1):
        QTest.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
        qtbot.wait(1)
        texts.add(panel.full_text())
        assert geometry() == before, panel.full_text()
    assert len(texts) > 2  # the label really changed
    QTest.mouseClick(panel.first_button, Qt.MouseButton.LeftButton)
    assert geometry() == before


def test_grad_mode_button_has_one_width(qtbot, win):
    a = act(win, "grad_mode")
    tb = next(t for t in win.findChildren(type(win.toolbar)) if t.objectName() ==
              "toolbar_autograd")
    button = tb.widgetForAction(a)
    first = button.geometry()
    after = [w.geometry() for w in tb.children() if hasattr(w, "geometry")]
    a.trigger()  # no_grad
    settle(qtbot, win)
    assert "no_grad" in a.text()
    assert button.geometry() == first
    assert [w.geometry() for w in tb.children() if hasattr(w, "geometry")] == after
    assert button.fontMetrics().horizontalAdvance(a.text().replace("&", "")) < button.width()
    a.trigger()
    settle(qtbot, win)
    assert "enable_grad" in a.text() and button.geometry() == first


# -- issue 9 item 1 tail: Verify uses Backward's root rule ------------------------------------
def test_verify_starts_from_the_selected_node_like_backward(qtbot, win, torch):
    ctl = controller(win)
    ctl.set_root(None)
    settle(qtbot, win)
    assert win.document().settings.root is None
    select(qtbot, win, "loss")
    trigger(qtbot, win, "backward")  # backward from the selection works ...
    assert win.results()[nid(win, "w")].grad is not None
    with qtbot.waitSignal(ctl.verified, timeout=90_000) as sig:
        trigger(qtbot, win, "verify")  # ... and so does Verify, from the same root
    v = sig.args[0]
    assert v.verdict == "agree", v.message


def test_verify_export_runs_backward_from_the_given_root():
    from pathlib import Path

    from engine.document import verify as V
    from engine.document.execution import Executor
    from engine.document.fileformat import load
    doc = load(Path(__file__).resolve().parents[2] / "resources/examples/tutorial.json")
    doc.settings.root = None
    ex = Executor(doc)
    ex.forward()
    loss = doc.node_by_name("loss").id
    script = V.torch_script(ex, loss)
    assert "loss.backward(" in script
    assert doc.settings.root is None  # the document itself is not changed
    ex.close()


# -- item 5: every view follows the current document ----------------------------------------
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _graph_names(win) -> set[str]:
    view = controller(win).backward_view
    return {i.subtitle or i.title for i in view.graph_items()}


def _assert_graph_is_current(win) -> None:
    """Every box with a tensor shows the current document's tensor for its node."""
    items = controller(win).backward_view.graph_items()
    assert items
    results = win.results()
    with_tensor = [i for i in items if i.tensor is not None and i.doc_id is not None]
    assert with_tensor
    for i in with_tensor:
        assert i.doc_id in win.document().nodes
        assert i.tensor is results[i.doc_id].value, i.title


def test_backward_graph_forgets_the_old_document_on_new(qtbot, win):
    """Two outputs and no root: the panel draws every graph, keyed (graph_version, None) --
    the same key an empty New document has, so it kept drawing the old graph."""
    ctl = controller(win)
    ctl.set_root(None)
    win.add_node("exp", connect_from=nid(win, "z"))
    settle(qtbot, win)
    ctl.graph.update_now()
    assert ctl.backward_dock.isVisible() and len(ctl.backward_view.graph_items()) > 5
    win.undo_stack.setClean()
    trigger(qtbot, win, "new")
    qtbot.wait(200)
    ctl.graph.update_now()
    assert not win.document().nodes
    assert ctl.backward_view.graph_items() == []


def test_every_view_shows_the_opened_document(qtbot, win):
    ctl = controller(win)
    select(qtbot, win, "w")
    trigger(qtbot, win, "step")  # a step-through of the tutorial is under way
    assert ctl.step_panel.full_text().startswith("step 0 / ")
    win.code_dock.raise_()
    qtbot.waitUntil(lambda: "binary_cross_entropy_with_logits" in win.code_view.text())
    win.undo_stack.setClean()
    assert win.files.load(str(EXAMPLES / "fine_tuning.json"))
    settle(qtbot, win)
    qtbot.wait(250)  # the panel's coalescing timer
    ctl.graph.update_now()
    names = {n.name for n in win.document().nodes.values()}
    assert "w1" in names and "w" not in names
    drawn = _graph_names(win)
    assert drawn and not drawn & {"w", "b", "z"}, drawn
    _assert_graph_is_current(win)
    assert win.inspector.node_id is None
    assert ctl.step_panel.full_text() == "no backward to step through"
    qtbot.waitUntil(lambda: "w2" in win.code_view.text())
    assert "binary_cross_entropy_with_logits(z" not in win.code_view.text()
    assert win.undo_stack.count() == 0
    items = {i.name for i in win.scene.node_items()}
    assert items == names


def test_recovered_document_replaces_every_view(qtbot, win):
    from engine.document.fileformat import load
    ctl = controller(win)
    ctl.graph.update_now()
    assert _graph_names(win)
    doc = load(EXAMPLES / "no_grad_detach.json")
    win.set_document(doc, None, name="Recovered", modified=True)
    settle(qtbot, win)
    qtbot.wait(250)
    ctl.graph.update_now()
    ours = {n.name for n in win.document().nodes.values()}
    _assert_graph_is_current(win)
    assert {i.name for i in win.scene.node_items()} == ours
    assert win.isWindowModified()
