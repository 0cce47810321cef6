"""The inspector's tensor panel: torch's printout, the heatmap, hover numbers, .grad rules."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

import engine
from engine._tensor import NON_LEAF_GRAD_WARNING
from widgets.tensor_view import TensorView

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot):
    v = TensorView()
    qtbot.addWidget(v)
    v.resize(460, 440)
    v.show()
    qtbot.waitExposed(v)
    return v


@pytest.fixture
def tutorial():
    """The tutorial's graph after loss.backward()."""
    g = engine.Generator().manual_seed(0)
    x = engine.ones(5)
    y = engine.zeros(3)
    w = engine.randn(5, 3, generator=g, requires_grad=True)
    b = engine.randn(3, generator=g, requires_grad=True)
    z = engine.matmul(x, w) + b
    loss = engine.nn.functional.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return x, y, w, b, z, loss


def to_torch(torch, t, requires_grad=False):
    return torch.tensor(t.numpy() if not t.requires_grad else t.detach().numpy(),
                        requires_grad=requires_grad)


def move_to_cell(qtbot, view: TensorView, row: float, col: float):
    """A real mouse move over the heatmap cell (row, col) of the shown 2-D data."""
    qtbot.wait(20)  # pyqtgraph's scene drops moves closer than 1/60 s to the previous one
    scene_pos = view.plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    pos = QPointF(view.plot_widget.mapFromScene(scene_pos))
    vp = view.plot_widget.viewport()
    ev = QMouseEvent(QEvent.Type.MouseMove, pos, QPointF(vp.mapToGlobal(pos.toPoint())),
                     Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, ev)


@pytest.mark.parity
def test_value_printed_exactly_as_torch(view, tutorial, torch):
    _, _, w, _, _, _ = tutorial
    view.set_tensor(w, "value", "w")
    tw = to_torch(torch, w, requires_grad=True)
    assert view.text() == repr(w) == repr(tw)
    assert view.title_label.text() == "w"
    assert view.plot_widget.isVisible()


@pytest.mark.parity
def test_leaf_grad_printed_as_torch(view, tutorial, torch):
    _, _, w, _, _, _ = tutorial
    view.show_grad(w, "w.grad")
    assert view.text() == repr(torch.tensor(w.grad.numpy()))
    assert not view.warning_label.isVisible()
    lo, hi = view.levels()
    assert lo == -hi and hi == pytest.approx(float(np.abs(w.grad.numpy()).max()))


@pytest.mark.parity
def test_non_leaf_grad_shows_torchs_warning(view, tutorial, torch):
    _, _, _, _, z, _ = tutorial
    view.show_grad(z, "z.grad")
    assert view.text() == "None"
    assert view.warning_label.isVisible()
    assert NON_LEAF_GRAD_WARNING in view.warning_label.text()
    assert not view.plot_widget.isVisible()
    # torch's own words (its trailing "Triggered internally at <path>" names its build tree)
    a = torch.ones(2, requires_grad=True)
    tz = a * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert tz.grad is None
    torch_text = str(caught[0].message)
    assert caught[0].category is UserWarning
    head = torch_text.split(" (Triggered internally")[0]
    assert NON_LEAF_GRAD_WARNING.startswith(head)


def test_retain_grad_non_leaf_shows_its_grad(view):
    w = engine.tensor([1.0, -2.0], requires_grad=True)
    z = w * 3
    z.retain_grad()
    z.sum().backward()
    view.show_grad(z, "z.grad")
    assert view.text() == repr(z.grad) == "tensor([1., 1.])"
    assert not view.warning_label.isVisible()


def test_none_and_scalar(view, tutorial):
    view.set_tensor(None, "grad", "b.grad")
    assert view.text() == "None" and not view.plot_widget.isVisible()
    loss = tutorial[-1]
    view.set_tensor(loss, "value", "loss")
    assert view.text() == repr(loss)
    assert view.text().startswith("tensor(")
    assert "grad_fn=<BinaryCrossEntropyWithLogitsBackward0>" in view.text()
    assert not view.plot_widget.isVisible()  # a 0-d tensor is its printout


def test_hover_shows_index_and_value(qtbot, view, tutorial):
    _, _, w, _, _, _ = tutorial
    view.show_grad(w, "w.grad")
    qtbot.wait(10)
    with qtbot.waitSignal(view.cellHovered, timeout=1000) as sig:
        move_to_cell(qtbot, view, 3, 2)
    g = w.grad.numpy()
    expected = f"w.grad[3, 2] = {str(np.float32(g[3, 2]))}"
    assert sig.args == [expected] and view.hover_text == expected
    move_to_cell(qtbot, view, 0, 1)
    assert view.hover_text == f"w.grad[0, 1] = {str(np.float32(g[0, 1]))}"
    move_to_cell(qtbot, view, 0, 3.4)  # right of the last column: no cell
    assert view.hover_text == ""


def test_vector_and_nd_indices(qtbot, view):
    v = engine.tensor([0.25, -1.5, 3.0])
    view.set_tensor(v, "value", "v")
    qtbot.wait(10)
    move_to_cell(qtbot, view, 0, 1)
    assert view.hover_text == "v[1] = -1.5"
    assert not view.note_label.isVisible()
    t = engine.arange(24.0).reshape(2, 3, 4)
    view.set_tensor(t, "value", "t")
    qtbot.wait(10)
    assert view.text() == repr(t)
    assert view.note_label.isVisible() and "[0, :, :]" in view.note_label.text()
    move_to_cell(qtbot, view, 2, 3)
    assert view.hover_text == "t[0, 2, 3] = 11.0"
    i = engine.tensor([[1, 2], [3, 4]])
    view.set_tensor(i, "value", "i")
    qtbot.wait(10)
    move_to_cell(qtbot, view, 1, 0)
    assert view.hover_text == "i[1, 0] = 3"


def test_heatmap_pixels_follow_the_gradient_sign(qtbot, view):
    g = engine.tensor([[2.0, -2.0]])
    view.set_tensor(g, "grad", "g")
    qtbot.wait(20)
    img = view.plot_widget.grab().toImage()
    dpr = img.devicePixelRatio()

    def px(row, col):
        scene_pos = view.plot.vb.mapViewToScene(QPointF(col + 0.5, row + 0.5))
        p = view.plot_widget.mapFromScene(scene_pos)
        c = img.pixelColor(int(p.x() * dpr), int(p.y() * dpr))
        return c.red(), c.green(), c.blue()

    pos, neg = px(0, 0), px(0, 1)
    assert pos[0] > pos[2] + 60, pos   # +2: red
    assert neg[2] > neg[0] + 60, neg   # -2: blue


def test_a_short_heatmaps_colour_bar_labels_only_its_two_ends(view, qtbot):
    """A one-row heatmap is a few text lines tall: pyqtgraph's own colour-bar ticks (-2, -1,
    0, 1) overlapped there. Short, it labels min and max; tall, its own ticks come back."""
    view.set_tensor(engine.tensor([0.1257, -0.1321, 0.6404, 0.1049]), "value", "x")
    qtbot.wait(10)
    lo, hi = (float(v) for v in view.colorbar.levels())
    (major, minor) = view.colorbar.axis._tickLevels  # what setTicks was given
    assert [v for v, _ in major] == [lo, hi] and minor == []
    view.set_tensor(engine.randn(30, 3, generator=engine.Generator().manual_seed(0)),
                    "value", "w")
    qtbot.wait(10)
    assert view.colorbar.axis._tickLevels is None  # tall: pyqtgraph's own ticks
