"""Issue 9 item 9: pictures out -- File > Export Image... and `gradcanvas export --to png|svg`,
real scenes rendered into real files."""
from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QDialog

from app import image_export

from .test_autograd_ui import act, controller, nid, select, settle

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "resources" / "examples" / "tutorial.json"


@pytest.fixture
def win(window, qtbot):
    controller(window)
    settle(qtbot, window)
    return window


def _colour_count(img: QImage, colour: QColor, tol: int = 10, step: int = 3) -> int:
    n = 0
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            c = img.pixelColor(x, y)
            if abs(c.red() - colour.red()) <= tol and abs(c.green() - colour.green()) <= tol \
                    and abs(c.blue() - colour.blue()) <= tol:
                n += 1
    return n


def _node_header_colour(win) -> QColor:
    from widgets.canvas.style import style
    item = win.scene.node_item(nid(win, "w"))
    return style().header_brush(item.category).color()


def test_png_of_the_whole_canvas_has_the_scene_size_and_the_nodes(qtbot, win, tmp_path):
    out = tmp_path / "graph.png"
    assert win.export_image(str(out), scale=1.5)
    img = QImage(str(out))
    assert not img.isNull()
    rect = image_export.content_rect(win.scene)
    assert (img.width(), img.height()) == (round(rect.width() * 1.5),
                                           round(rect.height() * 1.5))
    assert _colour_count(img, _node_header_colour(win)) > 50  # node headers are drawn
    assert _colour_count(img, win.scene.backgroundBrush().color()) > 100  # on the canvas


def test_png_of_the_selection_is_smaller_and_keeps_the_selection(qtbot, win, tmp_path):
    select(qtbot, win, "w", "b")
    out = tmp_path / "sel.png"
    assert win.export_image(str(out), selection=True, scale=1.0)
    img = QImage(str(out))
    items = [win.scene.node_item(nid(win, n)) for n in ("w", "b")]
    rect = image_export.content_rect(win.scene, items)
    assert (img.width(), img.height()) == (round(rect.width()), round(rect.height()))
    assert img.width() < image_export.content_rect(win.scene).width()
    assert sorted(win.scene.selected_node_ids()) == sorted([nid(win, "w"), nid(win, "b")])
    assert all(i.isVisible() for i in win.scene.node_items())  # the others came back


def test_svg_parses_and_names_the_nodes(qtbot, win, tmp_path):
    out = tmp_path / "graph.svg"
    assert win.export_image(str(out))
    tree = ET.parse(out)
    text = " ".join(t for t in tree.getroot().itertext())
    for name in ("x", "w", "b", "z", "loss", "binary_cross_entropy_with_logits",
                 "AddBackward0"):
        assert name in text, name


def test_backward_graph_png_and_svg(qtbot, win, tmp_path):
    png, svg = tmp_path / "bw.png", tmp_path / "bw.svg"
    assert win.export_image(str(png), target="backward", scale=1.0)
    img = QImage(str(png))
    view = controller(win).backward_view
    rect = image_export.content_rect(view.scene())
    assert (img.width(), img.height()) == (round(rect.width()), round(rect.height()))
    assert win.export_image(str(svg), target="backward")
    text = " ".join(ET.parse(svg).getroot().itertext())
    assert "BinaryCrossEntropyWithLogitsBackward0" in text and "AccumulateGrad" in text


def test_export_refuses_an_empty_graph_and_unknown_formats(qtbot, win, tmp_path):
    assert not win.export_image(str(tmp_path / "a.gif"))
    assert "choose png or svg" in win.statusBar().currentMessage()
    win.undo_stack.setClean()
    act(win, "new").trigger()
    settle(qtbot, win)
    assert not win.export_image(str(tmp_path / "empty.png"))
    assert "nothing to export" in win.statusBar().currentMessage()
    assert not (tmp_path / "empty.png").exists()


def test_file_menu_export_image_dialog(qtbot, win, tmp_path, dialogs):
    out = tmp_path / "from_menu.svg"
    dialogs.save_path = str(out)

    def answer():
        dlg = next(w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QDialog) and w.objectName() == "exportImageDialog"
                   and w.isVisible())
        dlg.format.setCurrentIndex(dlg.format.findData("svg"))
        dlg.accept()
    QTimer.singleShot(50, answer)
    a = act(win, "export_image")
    assert a in win.findChild(type(win.menuBar().actions()[0].menu()), "menu_file").actions()
    a.trigger()
    qtbot.waitUntil(out.exists, timeout=3000)
    assert "loss" in out.read_text("utf-8")


# -- headless ---------------------------------------------------------------------------------
def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("QT_QPA_PLATFORM", None)  # the command sets offscreen itself without a display
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_export_png_and_svg_headless(tmp_path):
    png = tmp_path / "t.png"
    r = _cli("export", str(TUTORIAL), "--to", "png", "-o", str(png), "--scale", "1",
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    img = QImage(str(png))
    w, h = (int(v) for v in r.stdout.split(": ")[1].split()[0].split("x"))
    assert (img.width(), img.height()) == (w, h) and w > 500 and h > 300
    # light theme for documents: a white-ish canvas, and not blank: many colours (headers,
    # text, heatmaps)
    assert img.pixelColor(2, 2).lightness() > 200
    colours = {img.pixel(x, y) for y in range(0, h, 4) for x in range(0, w, 4)}
    assert len(colours) > 30
    r2 = _cli("export", str(TUTORIAL), "--to", "png", "-o", str(tmp_path / "t2.png"),
              "--scale", "2", cwd=tmp_path)
    img2 = QImage(str(tmp_path / "t2.png"))
    assert r2.returncode == 0 and abs(img2.width() - 2 * w) <= 1
    svg = tmp_path / "t.svg"
    r = _cli("export", str(TUTORIAL), "--to", "svg", "-o", str(svg), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = " ".join(ET.parse(svg).getroot().itertext())
    assert "loss" in text and "binary_cross_entropy_with_logits" in text


def test_cli_backward_graph_and_errors(tmp_path):
    out = tmp_path / "bw.svg"
    r = _cli("export", str(TUTORIAL), "--to", "svg", "--backward-graph", "-o", str(out),
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "MmBackward0" in " ".join(ET.parse(out).getroot().itertext())
    r = _cli("export", str(TUTORIAL), "--to", "png", "-o", str(tmp_path / "x.svg"),
             cwd=tmp_path)
    assert r.returncode == 2 and "suffix must be .png" in r.stderr
    r = _cli("export", str(TUTORIAL), "--to", "png", "--scale", "0", "-o",
             str(tmp_path / "x.png"), cwd=tmp_path)
    assert r.returncode == 2 and "scale" in r.stderr


def test_cli_export_in_process_keeps_the_callers_theme(tmp_path, capsys):
    from app.cli import main
    from widgets import theme
    theme.set_theme("dark")
    out = tmp_path / "in.png"
    assert main(["export", str(TUTORIAL), "--to", "png", "-o", str(out), "--scale", "1"]) == 0
    assert out.exists() and theme.current_name() == "dark"
    assert not (TUTORIAL.with_suffix(".png")).exists()
