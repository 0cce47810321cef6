"""Node previews: pixels of the rendered images (sign colors, bars, heatmaps, caching)."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter

import engine
from widgets import colormaps, tensor_preview, theme
from widgets.tensor_preview import paint_preview, preview_image

from .conftest import tutorial_doc

pytestmark = pytest.mark.gui
W, H = 184, 44


@pytest.fixture(autouse=True)
def _fresh_cache(qapp):
    tensor_preview.clear_cache()
    yield
    tensor_preview.clear_cache()


def rgba(image: QImage, x: int, y: int) -> tuple[int, int, int, int]:
    c = image.pixelColor(x, y)
    return c.red(), c.green(), c.blue(), c.alpha()


def redish(c) -> bool:
    return c[0] > c[2] + 40 and c[3] > 200


def blueish(c) -> bool:
    return c[2] > c[0] + 40 and c[3] > 200


def whiteish(c) -> bool:
    return min(c[:3]) > 225 and c[3] > 200


# -- colormaps -------------------------------------------------------------------------------------
def test_diverging_map_is_centred_and_symmetric():
    lims = colormaps.limits(np.array([-0.5, 2.0]), "grad")
    assert lims == (-2.0, 2.0)
    assert whiteish((*colormaps.rgb_at("grad", 0.0, lims), 255))
    assert redish((*colormaps.rgb_at("grad", 2.0, lims), 255))
    assert blueish((*colormaps.rgb_at("grad", -2.0, lims), 255))
    # symmetric: +v and -v are equally far from white
    up = np.array(colormaps.rgb_at("grad", 1.0, lims))
    down = np.array(colormaps.rgb_at("grad", -1.0, lims))
    assert abs(int(255 * 3 - up.sum()) - int(255 * 3 - down.sum())) < 90
    assert colormaps.limits(np.zeros(3), "grad") == (-1.0, 1.0)


def test_sequential_map_spans_min_to_max_and_marks_nan():
    a = np.array([[3.0, 7.0], [np.nan, 5.0]], dtype=np.float32)
    out = colormaps.to_rgba(a, "value")
    assert tuple(out[0, 0]) == tuple(colormaps.SEQUENTIAL_LUT[0])
    assert tuple(out[0, 1]) == tuple(colormaps.SEQUENTIAL_LUT[255])
    assert tuple(out[1, 0]) == colormaps.NAN_RGBA
    with pytest.raises(ValueError):
        colormaps.lut("bogus")


# -- scalars ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,check", [(0.5, redish), (-0.5, blueish), (0.0, whiteish)])
def test_scalar_grad_chip_color(value, check):
    img = preview_image(engine.tensor(value), "grad", W, H)
    assert img.width() == W and img.height() == H
    chip = rgba(img, 10, H // 2)  # the colored square left of the number
    assert check(chip), chip
    # the number itself is drawn to the right in the theme's text color
    text_px = [rgba(img, x, y) for x in range(34, 120) for y in range(10, 34)]
    assert any(p[3] > 100 for p in text_px)
    # torch's texts: tensor(0.5000), tensor(-0.5000), tensor(0.)
    assert tensor_preview.format_number(np.float32(value)) in ("0.5000", "-0.5000", "0.")


# -- vectors ---------------------------------------------------------------------------------------
def test_vector_grad_bars_up_red_down_blue():
    t = engine.tensor([1.0, 0.0, -1.0])
    img = preview_image(t, "grad", W, H)
    third = W // 3
    # column in the middle of each bar; zero line at mid height
    top, bottom = rgba(img, third // 2, 4), rgba(img, third // 2, H - 4)
    assert redish(top) and bottom[3] == 0        # +1: red bar above the zero line only
    top, bottom = rgba(img, W - third // 2, 4), rgba(img, W - third // 2, H - 4)
    assert blueish(bottom) and top[3] == 0       # -1: blue bar below
    assert rgba(img, W // 2, 4)[3] == 0 and rgba(img, W // 2, H - 4)[3] == 0  # 0: no bar


def test_long_vector_keeps_extremes_when_binned():
    v = np.zeros(10_000, dtype=np.float32)
    v[5_000] = -3.0  # one spike among many zeros must survive the binning
    img = preview_image(v, "grad", W, H)
    cols = [x for x in range(W) if blueish(rgba(img, x, H - 3))]
    assert cols and all(abs(x - W // 2) <= 2 for x in cols)


def test_vector_nan_is_magenta():
    img = preview_image(engine.tensor([1.0, float("nan"), 2.0]), "grad", W, H)
    assert rgba(img, W // 2, 3)[:3] == colormaps.NAN_RGBA[:3]


# -- matrices --------------------------------------------------------------------------------------
def cell_centres(img: QImage, rows: int, cols: int):
    """Centres of the heatmap's cells, from its opaque bounding box."""
    xs = [x for x in range(img.width()) if img.pixelColor(x, img.height() // 2).alpha()]
    ys = [y for y in range(img.height()) if img.pixelColor(xs[len(xs) // 2], y).alpha()]
    x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
    return [[(int(x0 + (c + 0.5) * (x1 - x0) / cols), int(y0 + (r + 0.5) * (y1 - y0) / rows))
             for c in range(cols)] for r in range(rows)]


def test_matrix_grad_heatmap_cells():
    a = np.array([[1.0, -1.0], [0.0, 0.5]], dtype=np.float32)
    img = preview_image(a, "grad", W, H)
    (c00, c01), (c10, c11) = cell_centres(img, 2, 2)
    assert redish(rgba(img, *c00)) and blueish(rgba(img, *c01)) and whiteish(rgba(img, *c10))
    half = rgba(img, *c11)
    assert redish(half) and half[1] > rgba(img, *c00)[1]  # +0.5 is paler than +1
    assert rgba(img, 0, 0)[3] == 0  # margins stay transparent: the node shows through


def test_real_gradient_of_the_tutorial_is_colored_by_sign():
    from engine.document.execution import Executor
    ex = Executor(tutorial_doc())
    ex.forward()
    assert ex.backward(root="n7") is None
    grad = ex.leaf("n3").grad  # w.grad: 5x3
    img = preview_image(grad, "grad", W, H)
    g = grad.numpy()
    for r, row in enumerate(cell_centres(img, *g.shape)):
        for c, pt in enumerate(row):
            px = rgba(img, *pt)
            assert (redish(px) if g[r, c] > 0 else blueish(px)), (r, c, g[r, c], px)


def test_nd_shows_first_slice_and_marks_it():
    a = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    img = preview_image(a, "value", W, H)
    expected = colormaps.to_rgba(a[0, 0], "value")
    for r, row in enumerate(cell_centres(img, 4, 5)):
        for c, pt in enumerate(row):
            assert rgba(img, *pt) == tuple(int(v) for v in expected[r, c]), (r, c)
    # the label marks the slice at the top right
    label_px = [rgba(img, x, y) for x in range(W - 60, W) for y in range(1, 14)]
    assert sum(p[3] > 0 for p in label_px) > 100


def test_empty_and_none():
    assert preview_image(None) is None
    img = preview_image(engine.zeros(0), "value", W, H)
    assert img.width() == W


# -- cache and speed -------------------------------------------------------------------------------
def test_cache_by_identity_and_version():
    t = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = preview_image(t, "grad", W, H)
    assert preview_image(t, "grad", W, H) is a
    assert preview_image(t, "value", W, H) is not a
    t.mul_(-1)  # in place: _version moves, the picture must follow
    b = preview_image(t, "grad", W, H)
    assert b is not a
    (c00, _), _ = cell_centres(b, 2, 2)
    px = rgba(b, *c00)
    assert px[2] > px[0] + 20  # -1 of [-4, 4]: a pale blue now
    u = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert preview_image(u, "grad", W, H) is not b  # equal values, another tensor


def test_grad_accumulation_redraws(qapp):
    w = engine.tensor([1.0, -2.0], requires_grad=True)
    (w * 1.0).sum().backward()
    first = preview_image(w.grad, "grad", W, H)
    (w * -3.0).sum().backward()  # accumulates in place into the same .grad tensor: -2
    second = preview_image(w.grad, "grad", W, H)
    assert second is not first
    assert blueish(rgba(second, W // 4, H - 3))


def test_thousand_previews_are_cheap():
    ts = [engine.randn(5, 3) for _ in range(1000)]
    t0 = time.perf_counter()
    for t in ts:
        preview_image(t, "grad", W, H)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for t in ts:
        preview_image(t, "grad", W, H)
    cached = time.perf_counter() - t0
    assert first < 2.0 and cached < 0.1, (first, cached)


def test_paint_preview_into_a_rect():
    img = QImage(300, 100, QImage.Format.Format_ARGB32)
    img.fill(QColor("#2e333d"))
    p = QPainter(img)
    paint_preview(p, QRectF(50, 30, W, H), engine.tensor(2.0), "grad")
    p.end()
    assert redish(rgba(img, 60, 30 + H // 2))
    assert rgba(img, 20, 10)[:3] == (0x2E, 0x33, 0x3D)  # outside the rect: untouched


@pytest.mark.parametrize("value", [0.48114, 2.0, 0.0, -0.0, 1e-5, -3.5e-7, 123456.7, 1e9,
                                   -0.5, 99999.5, 3e8, float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_number_text_is_torch_print_of_a_0d_tensor(torch, value, dtype):
    t = torch.tensor(value, dtype=getattr(torch, dtype))
    want = str(t)[len("tensor("):].split(",")[0].rstrip(")")
    assert tensor_preview.format_number(t.numpy()) == want
    assert tensor_preview.format_number(engine.tensor(value, dtype=getattr(engine, dtype))
                                        ._data) == want


def test_number_texts_of_ints_and_bools(torch):
    for v in (7, -3, True, False):
        assert tensor_preview.format_number(torch.tensor(v).numpy()) == str(torch.tensor(v))[7:-1]


def _ink(img: QImage, x0: int, bg: QColor) -> set[tuple[int, int]]:
    """Pixels (right of x0) far from the background: the glyphs."""
    return {(x, y) for x in range(x0, img.width()) for y in range(img.height())
            if abs(img.pixelColor(x, y).lightness() - bg.lightness()) > 60}


@pytest.mark.parametrize("scale", [0.8, 1.0, 1.7])
def test_number_is_crisp_text_at_any_zoom(monkeypatch, scale):
    """The 0-d preview of a node (rect 150 x 22, as the canvas gives it) painted through a
    zoomed view: the number is vector text, pixel for pixel what drawText makes of "0.4811"
    at that zoom, not a cached picture of it resampled (which lost columns: "A.4R11")."""
    monkeypatch.setattr(tensor_preview, "preview_image",
                        lambda *a, **k: pytest.fail("a number must not be an image"))
    bg = QColor("#2e333d")
    h = 22.0
    text = tensor_preview.format_number(np.float32(0.48114))
    assert text == "0.4811"
    size = (int(160 * scale) + 2, int(h * scale) + 2)

    def canvas():
        img = QImage(*size, QImage.Format.Format_RGB32)
        img.fill(bg)
        return img

    got = canvas()
    p = QPainter(got)
    p.scale(scale, scale)
    paint_preview(p, QRectF(0, 0, 150, h), engine.tensor(0.48114), "value")
    p.end()
    ref = canvas()  # the text alone, where the layout puts it: after a chip of side h - 6
    p = QPainter(ref)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    p.scale(scale, scale)
    font = tensor_preview.number_font(h)
    fm = QFontMetricsF(font)
    p.setFont(font)
    p.setPen(theme.color("node_text"))
    p.drawText(QPointF(2 + (h - 6) + 8, (h + fm.ascent() - fm.descent()) / 2), text)
    p.end()
    x0 = int(np.ceil((2 + (h - 6) + 3) * scale))  # between the chip and the text
    got_ink, ref_ink = _ink(got, x0, bg), _ink(ref, x0, bg)
    assert len(ref_ink) > 40
    assert len(got_ink ^ ref_ink) <= 0.03 * len(ref_ink), (len(got_ink ^ ref_ink), len(ref_ink))


# -- numbers on hover ------------------------------------------------------------------------------
def test_cell_at_inverts_the_heatmap_geometry():
    a = np.arange(15, dtype=np.float32).reshape(5, 3) - 7
    img = preview_image(a, "grad", W, H)
    for r, row in enumerate(cell_centres(img, 5, 3)):
        for c, (x, y) in enumerate(row):
            assert tensor_preview.cell_at(a, W, H, x + 0.5, y + 0.5) == ((r, c), float(a[r, c]))
    assert tensor_preview.cell_at(a, W, H, 1, 1) is None  # the transparent margin
    x, y = cell_centres(img, 5, 3)[4][2]
    assert tensor_preview.hover_text(engine.tensor(a), "w.grad", W, H, x, y) == "w.grad[4, 2] = 7.0"


def test_cell_at_vectors_scalars_and_nd():
    v = engine.tensor([0.5, -1.25, 2.0, 3.0])
    assert tensor_preview.cell_at(v, W, H, W * 0.3, 20) == ((1,), -1.25)
    assert tensor_preview.hover_text(v, "v", W, H, W - 1, 5) == "v[3] = 3.0"
    assert tensor_preview.hover_text(engine.tensor(0.25), "loss", W, H, 3, 3) == "loss = 0.25"
    big = np.zeros(10_000, dtype=np.float32)
    big[5_000] = -3.0
    xs = [x for x in range(W) if tensor_preview.cell_at(big, W, H, x, 1) == ((5_000,), -3.0)]
    assert len(xs) == 1
    t = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    img = preview_image(t, "value", W, H)
    x, y = cell_centres(img, 3, 4)[2][1]
    assert tensor_preview.cell_at(t, W, H, x, y) == ((0, 2, 1), 9.0)
    assert tensor_preview.cell_at(t, W, H, W - 2, 5) is None  # on the slice label
    assert tensor_preview.cell_at(None, W, H, 0, 0) is None
