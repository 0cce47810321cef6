"""The node item (body, ports, previews): its state, layout and hit tests; node_paint.py paints
it, wires.py and frames.py hold the other items.

Items only display; the scene turns gestures on them into intents. Painting is kept cheap for
1,000-node graphs: shared pens/fonts (style.py), text laid out once per change (not per paint),
a wire's path rebuilt only when one of its endpoints moves, and level-of-detail cut-offs.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGraphicsItem

from . import previews, textcache
from .node_paint import NodePainting, shape_text
from .painting import wrap
from .style import LOD_BOX, LOD_TEXT, style

_LIVE = object()  # no step-through override: show the live .grad
NO_GRAD_LINE = "grad_fn=None · requires_grad=False"


class _Lines:
    """The text lines under a node's ports, laid out top-down: (text, pen, font, y, x-scale)."""

    def __init__(self, width: float, line: float, y: float) -> None:
        self.width, self.line, self.y = width, line, y
        self.lines: list[tuple[str, object, object, float, float]] = []

    def add(self, text: str, pen, font, fm) -> None:
        self.y += self.line
        shown, sx = textcache.line(fm, text, self.width)  # measured once per text, not node
        self.lines.append((shown, pen, font, self.y - 4, sx))


class NodeItem(NodePainting, QGraphicsItem):
    """One document node: header (variable name, op title), input ports, output port, info."""

    WIDTH = 196.0  # the narrowest node; relayout widens it to fit its header (per item)
    WIDTH_MAX = 380.0
    HEADER = 26.0
    ROW = 18.0
    LINE = 15.0
    PAD = 6.0
    PORT_R = 4.5
    RADIUS = 6.0
    PREVIEW_H = 40.0
    NUMBER_H = 22.0
    CAPTION_W = 34.0  # left column of a preview row: "value" / ".grad" and the count badge
    LOCK_W = 14.0

    layouts = 0  # full layouts (text measured) by every NodeItem: tests count deltas

    def __init__(self, node, spec, frozen: bool = False, result=None, *,
                 lazy: bool = False) -> None:
        """``result``: the executor's, when known, so the item is laid out once. ``lazy``:
        the node starts hidden (inside a collapsed module group): only its ports are placed
        (wires need them); its text is laid out when it is first shown (``unlazy``)."""
        super().__init__()
        self._lazy = lazy
        self.node_id: str = node.id
        self.spec = spec
        self.wires_in: dict[tuple[str, int], WireItem] = {}
        self.wires_out: list[WireItem] = []
        self.result = result
        self.emphasis = 0          # 1 highlighted, -1 dimmed (backward-DAG display)
        self.is_root = False
        self.preview: QImage | None = None
        self.anomaly: str | None = None  # NaN/Inf message (detect_anomaly style)
        self.step_mark: str | None = None  # step-through: "active" | "done" | None
        self._grad_override = _LIVE  # step-through: the .grad at this step instead of live
        self._rows: list[tuple[str, float, float]] = []  # preview rows (kind, top, height)
        self._moved_callback = None
        self.hover_port = None  # ('out',) or ('in', port, index) under the cursor
        self._result_sig = _signature(result)
        self._slots: list[tuple[str, int, str, float]] = []
        self._slot_y: dict[tuple[str, int], float] = {}
        self._lines: list[tuple[str, object, object, float, float]] = []
        self._tip: list[str] = []
        self._badge_x = 0.0
        self._version_text = ""
        self._rect = QRectF()
        self._bounds = QRectF()
        # no ItemSendsGeometryChanges and no itemChange override: a Python itemChange is
        # called ~15 times per item while it is built (flags, z, position, scene) and on
        # every change after; moves are reported by sync() and by the NodeMove gesture
        self._width_key = None
        self._width = self.WIDTH
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setZValue(2)
        self.sync(node, frozen)

    # ----------------------------------------------------------------- model -> item
    def sync(self, node, frozen: bool = False) -> None:
        """Refresh from the document's Node (name, flags, position); ``frozen`` is the
        model's answer (Document.is_frozen): the item only draws it."""
        spec = self.spec
        self.name = node.name
        self.op = node.op
        self.title = spec.title if spec is not None else node.op
        self.category = spec.category if spec is not None else ""
        self.is_source = bool(spec is not None and spec.is_source)
        self.requires_grad = bool(getattr(node, "requires_grad", False))
        self.retain_grad = bool(getattr(node, "retain_grad", False))
        self.frozen_output = bool(getattr(node, "frozen_output", False))
        self.frozen = bool(frozen)
        pos = QPointF(float(node.pos[0]), float(node.pos[1]))
        if pos != self.pos():
            self.setPos(pos)
            self.moved()
        self.relayout()

    def moved(self) -> None:
        """The item's position changed: re-route its wires, let frames refit."""
        for w in self.wires_in.values():
            if w is not None:
                w.update_path()
        for w in self.wires_out:
            w.update_path()
        if self._moved_callback is not None:
            self._moved_callback(self)

    def set_result(self, result) -> None:
        """Executor data to show; relayout only when something displayed changed, else
        just repaint (new values in the previews)."""
        sig = _signature(result)
        self.result = result
        if sig != self._result_sig:
            self._result_sig = sig
            self.relayout()
        else:
            self.update()

    def set_emphasis(self, emphasis: int) -> None:
        if emphasis != self.emphasis:
            self.emphasis = emphasis
            self.update()

    def set_root(self, is_root: bool) -> None:
        if is_root != self.is_root:
            self.is_root = is_root
            self.relayout()

    def set_preview(self, image: QImage | None) -> None:
        """An extra picture drawn under the previews (None removes it)."""
        self.preview = image
        self.relayout()

    def set_anomaly(self, message: str | None) -> None:
        """Mark the node that produced a NaN/Inf, with the message (None clears)."""
        if message != self.anomaly:
            self.anomaly = message or None
            self.relayout()

    def set_step_mark(self, mark: str | None) -> None:
        if mark != self.step_mark:
            self.step_mark = mark
            self.update()

    def set_grad_override(self, grad=_LIVE) -> None:
        """Show this .grad (array/Tensor/None) instead of the live one (step-through);
        no argument returns to the live .grad."""
        if grad is not self._grad_override:
            self._grad_override = grad
            self.relayout()

    def value_array(self):
        r = self.result
        v = getattr(r, "value", None) if r is not None else None
        return v

    def grad_array(self):
        """The .grad shown: the step-through's when one is set, else the live one."""
        if self._grad_override is not _LIVE:
            return self._grad_override
        return _grad_of(self.result)

    def grad_count(self) -> int:
        r = self.result
        return int(getattr(r, "grad_count", 0) or 0) if r is not None else 0

    def preview_rows(self) -> list[tuple[str, QRectF]]:
        """(kind, rect in item coordinates) of the value/.grad previews."""
        x = self.PAD + self.CAPTION_W
        w = self.WIDTH - self.PAD - x
        return [(kind, QRectF(x, top, w, h)) for kind, top, h in self._rows]

    def preview_hit(self, local: QPointF):
        """(kind, index, value) of the preview cell under `local` (item coords), or None."""
        for kind, rect in self.preview_rows():
            if rect.contains(local):
                array = self.value_array() if kind == "value" else self.grad_array()
                hit = previews.cell_at(array, rect.width(), rect.height(),
                                       local.x() - rect.x(), local.y() - rect.y(), kind)
                if hit is not None:
                    return (kind, *hit)
        return None

    def preview_tooltip(self, local: QPointF) -> str | None:
        """'w.grad[1, 2] = 0.04224682' for the preview cell under `local`, else None."""
        for kind, rect in self.preview_rows():
            if rect.contains(local):
                array = self.value_array() if kind == "value" else self.grad_array()
                name = self.name if kind == "value" else f"{self.name}.grad"
                return previews.hover_text(array, name, rect.width(), rect.height(),
                                           local.x() - rect.x(), local.y() - rect.y())
        return None

    # ----------------------------------------------------------------- geometry
    def input_slots(self) -> list[tuple[str, int, str, float]]:
        """(port, index, label, y) for every input slot; variadic ports get one free slot."""
        return self._slots

    def _build_slots(self) -> list[tuple[str, int, str, float]]:
        slots = []
        y = self.HEADER + self.ROW / 2
        ports = self.spec.inputs if self.spec is not None else ()
        for port in ports:
            if port.variadic:
                used = [i for (p, i) in self.wires_in if p == port.name]
                count = (max(used) + 2) if used else 1
                for i in range(count):
                    slots.append((port.name, i, f"{port.name}[{i}]", y))
                    y += self.ROW
            else:
                label = port.name + ("?" if port.optional else "")
                slots.append((port.name, 0, label, y))
                y += self.ROW
        return slots

    def _fit_width(self, s) -> float:
        """Wide enough for the header (name, badges, op title) and the shape and grad_fn
        lines in the style's fonts, between WIDTH and WIDTH_MAX (beyond: elided)."""
        r = self.result
        ok = r is not None and not getattr(r, "error", None)
        key = (s, self.name, self.title, self.is_root, bool(self.frozen), bool(self.anomaly),
               version_badge(r) if r is not None else "",
               ok and getattr(r, "grad_fn", None), ok and getattr(r, "shape", None),
               ok and getattr(r, "dtype", None), ok and bool(r.requires_grad and r.is_leaf))
        if key == self._width_key:  # most relayouts (new values, same shape) change nothing
            return self._width
        self._width_key = key
        self._width = self._measure_width(s)
        return self._width

    def _measure_width(self, s) -> float:
        adv = textcache.advance  # memoized: titles, shapes, grad_fns repeat across nodes
        badge = adv(s.small_fm, "root") + 6 if self.is_root else 0
        badge += self.LOCK_W * (bool(self.frozen) + bool(self.anomaly))
        ver = version_badge(self.result) if self.result is not None else ""
        badge += adv(s.small_fm, ver) + 6 if ver else 0
        need = 3 * self.PAD + 10 + badge + adv(s.small_fm, self.title)
        name_w = textcache.bound(s.title_fm, self.name)  # names are unique: avoid measuring
        if name_w is None or need + name_w > type(self).WIDTH:  # ... unless it may widen
            name_w = adv(s.title_fm, self.name)
        need += name_w
        r = self.result
        if r is not None and not getattr(r, "error", None):
            for text in (getattr(r, "grad_fn", None), _shape_line(r)):
                if text:
                    need = max(need, 2 * self.PAD + 2 + adv(s.mono_fm, str(text)))
            if not r.grad_fn and not (r.requires_grad and r.is_leaf):  # may be squeezed
                need = max(need, 2 * self.PAD + 2 + 0.75 * adv(s.mono_fm, NO_GRAD_LINE))
        return float(min(max(type(self).WIDTH, round(need)), self.WIDTH_MAX))

    def is_lazy(self) -> bool:
        return self._lazy

    def unlazy(self) -> None:
        """Shown for the first time: lay it out for real, and its wires with it."""
        if self._lazy:
            self._lazy = False
            self.relayout()
            for w in list(self.wires_in.values()) + self.wires_out:
                if w is not None:
                    w.update_path()

    def _layout_ports(self, s) -> None:
        """What a hidden item needs: its ports (wire ends) and a rect; no text measured."""
        self._slots = self._build_slots()
        self._slot_y = {(p, i): yy for p, i, _, yy in self._slots}
        rect = QRectF(0, 0, self.WIDTH, self.HEADER + len(self._slots) * self.ROW + self.PAD)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            m = self.PORT_R + 5
            self._bounds = rect.adjusted(-m, -2, m, 2)

    def relayout(self) -> None:
        """Lay the text, previews and title out once per change (not per paint)."""
        s = style()
        self.HEADER, self.ROW, self.LINE = s.header_h, s.row_h, s.line_h
        if self._lazy:
            self._layout_ports(s)
            return
        NodeItem.layouts += 1
        self.WIDTH = self._fit_width(s)
        old_slots = self._slot_y
        self._slots = self._build_slots()
        self._slot_y = {(p, i): yy for p, i, _, yy in self._slots}
        text = _Lines(self.WIDTH - 2 * self.PAD, self.LINE,
                      self.HEADER + len(self._slots) * self.ROW + 2)
        tip = [f"{self.name} = {self.title}"]
        if self.spec is not None and self.spec.doc:
            tip.append(self.spec.doc)
        self._result_lines(text, tip)
        self._flag_lines(text, tip)
        y = self._preview_layout(text.y + 4, tip)
        self._lines = text.lines
        self._layout_title()
        rect = QRectF(0, 0, self.WIDTH, y + self.PAD)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            m = self.PORT_R + 5  # room for the hover ring
            self._bounds = rect.adjusted(-m, -2, m, 2)
        self._tip = tip  # joined when asked (toolTip): setToolTip costs ~10 µs per call
        self.update()
        if old_slots != self._slot_y:
            for w in list(self.wires_in.values()):
                if w is not None:
                    w.update_path()

    def toolTip(self) -> str:  # noqa: N802 - Qt's name; the scene's helpEvent shows it
        return "\n".join(self._tip)

    def _result_lines(self, text: _Lines, tip: list) -> None:
        """The forward's outcome: the error, what blocked it, or shape/dtype and grad_fn."""
        s, r = style(), self.result
        if r is None:
            return
        if getattr(r, "error", None):
            for chunk in wrap(str(r.error), s.small_fm, text.width, 3):
                text.add(chunk, s.error_text_pen, s.small_font, s.small_fm)
            tip.append(str(r.error))
            return
        if getattr(r, "blocked_by", None):
            name = self._blocked_name(r.blocked_by)
            text.add(f"blocked by {name}", s.blocked_pen, s.small_font, s.small_fm)
            tip.append(f"not computed: upstream node {name} failed")
            return
        if r.shape is not None:
            text.add(_shape_line(r), s.text_pen, s.mono_font, s.mono_fm)
        if r.grad_fn:
            text.add(str(r.grad_fn), s.grad_fn_pen, s.mono_font, s.mono_fm)
            tip.append(f"grad_fn=<{r.grad_fn}>  requires_grad=True")
        elif r.requires_grad and r.is_leaf:
            text.add("AccumulateGrad", s.leaf_pen, s.mono_font, s.mono_fm)
            tip.append("leaf, requires_grad=True: backward accumulates into its .grad")
        else:
            text.add(NO_GRAD_LINE, s.muted_pen, s.mono_font, s.mono_fm)
            tip.append("grad_fn=None  requires_grad=False")

    def _flag_lines(self, text: _Lines, tip: list) -> None:
        """requires_grad / frozen / retain_grad / detached, then an anomaly message."""
        s = style()
        flags = []
        if self.is_source and self.requires_grad and not self.frozen:
            flags.append("requires_grad")
        if self.frozen:
            flags.append("frozen")
            tip.append("frozen: requires_grad=False, its .grad stays None "
                       "(as a frozen parameter when fine-tuning)")
        if self.retain_grad:
            flags.append("retain_grad")
        if self.frozen_output:
            flags.append("detached")
        if flags:
            text.add(" · ".join(flags), s.muted_pen, s.small_font, s.small_fm)
        if self.anomaly:
            for chunk in wrap(self.anomaly, s.small_fm, text.width - 14, 3):
                text.add(chunk, s.error_text_pen, s.small_font, s.small_fm)
            tip.append(self.anomaly)
        r = self.result
        ver = version_badge(r) if r is not None else ""
        if ver:
            made, now = r.version, r.live_version
            tip.append(f"_version {made}" + ("" if now == made else
                       f" here; modified in place later: now at version {now}"))
        stale = getattr(r, "stale", None) if r is not None else None
        if stale:  # the saved-tensor version check, before backward runs (issue 14)
            # on the node the part that says what changed; torch's whole text in the tooltip
            core = stale.split("inplace operation: ", 1)[-1].split(" Hint:", 1)[0]
            for chunk in wrap("backward will fail, modified in place: " + core, s.small_fm,
                              text.width, 4):
                text.add(chunk, s.error_text_pen, s.small_font, s.small_fm)
            tip.append(f"backward will fail: RuntimeError: {stale}")

    def _preview_layout(self, y: float, tip: list) -> float:
        """Rows for the value and .grad previews from ``y``; returns the y below them."""
        r = self.result
        rows = []
        if r is not None and not getattr(r, "error", None):
            value = getattr(r, "value", None)
            if value is not None:
                h = self.NUMBER_H if previews.is_number(value) else self.PREVIEW_H
                rows.append(("value", y, h))
                y += h + 3
            grad = self.grad_array()
            if grad is not None:
                h = self.NUMBER_H if previews.is_number(grad) else self.PREVIEW_H
                rows.append(("grad", y, h))
                y += h + 3
                count = self.grad_count()
                if count:
                    tip.append(f".grad accumulated over {count} backward call"
                               f"{'s' if count != 1 else ''}")
        self._rows = rows
        self._preview_top = y + 2
        if self.preview is not None:
            y += self.PREVIEW_H + 6
        return y

    def _layout_title(self) -> None:
        """The header: the variable name, then the op title elided around the badges."""
        s = style()
        tc = textcache
        inner = self.WIDTH - 3 * self.PAD - 2
        title_w = tc.advance(s.small_fm, self.title)
        name_room = inner - min(title_w, inner / 2)
        self._name_text = tc.elide(s.title_fm, self.name, name_room)
        badge = tc.advance(s.small_fm, "root") + 6 if self.is_root else 0
        self._version_text = version_badge(self.result) if self.result is not None else ""
        if self._version_text:
            badge += tc.advance(s.small_fm, self._version_text) + 6
        if self.frozen:
            badge += self.LOCK_W
        if self.anomaly:
            badge += self.LOCK_W
        # beyond WIDTH_MAX: elide the middle, keeping both ends of names such as
        # binary_cross_entropy_with_logits distinct (the full name is in the tooltip)
        if badge or not tc.fits(s.title_fm, self._name_text, inner - title_w):
            name_w = tc.advance(s.title_fm, self._name_text)  # only the name is per node
        else:  # a short name next to a title that fits: no measuring at all
            name_w = inner - title_w - 1
        self._title_text = tc.elide(s.small_fm, self.title, inner - name_w - badge,
                                    Qt.TextElideMode.ElideMiddle)
        self._title_x = self.WIDTH - self.PAD - tc.advance(s.small_fm, self._title_text)
        self._badge_x = self.PAD + 2 + name_w + 6 if badge else 0.0

    def _blocked_name(self, node_id) -> str:
        scene = self.scene()
        item = scene.node_item(node_id) if scene is not None and hasattr(scene, "node_item") \
            else None
        return item.name if item is not None else str(node_id)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def body_rect(self) -> QRectF:
        return self._rect

    def output_port_pos(self) -> QPointF:
        return QPointF(self.WIDTH, self.HEADER + self.ROW / 2)

    def output_port_scene_pos(self) -> QPointF:
        return self.pos() + self.output_port_pos()

    def input_port_pos(self, port: str, index: int = 0) -> QPointF:
        y = self._slot_y.get((port, index))
        if y is None:
            raise KeyError(f"node {self.node_id} has no input slot {port}[{index}]")
        return QPointF(0.0, y)

    def input_port_scene_pos(self, port_name: str, index: int = 0) -> QPointF:
        return self.pos() + self.input_port_pos(port_name, index)

    def port_at(self, local: QPointF, radius: float):
        """('out',) or ('in', port, index) for a port within `radius` of `local`, else None."""
        r2 = radius * radius
        out = self.output_port_pos()
        if (local.x() - out.x()) ** 2 + (local.y() - out.y()) ** 2 <= r2:
            return ("out",)
        best = None
        for p, i, _, y in self._slots:
            d = local.x() ** 2 + (local.y() - y) ** 2
            if d <= r2 and (best is None or d < best[0]):
                best = (d, p, i)
        return ("in", best[1], best[2]) if best else None

    def set_hover_port(self, port) -> None:
        if port != self.hover_port:
            self.hover_port = port
            self.update()


def _signature(result):
    """What of a result changes the node's layout (text lines, preview rows)."""
    if result is None:
        return None
    return (*(getattr(result, k, None) for k in ("shape", "dtype", "grad_fn", "requires_grad",
                                                 "is_leaf", "error", "blocked_by",
                                                 "grad_count", "stale")),
            version_badge(result),
            getattr(result, "value", None) is None, _grad_of(result) is None)


def version_badge(result) -> str:
    """The tensor's ``_version`` in the header once it is > 0 (issue 14): "v1" as the node
    left it; "v0→1" when an in-place node modified it later."""
    made = getattr(result, "version", None)
    if made is None or getattr(result, "value", None) is None:
        return ""
    now = getattr(result, "live_version", made)
    if not made and not now:
        return ""
    return f"v{made}" if now == made else f"v{made}→{now}"


def estimated_size(spec) -> tuple[float, float]:
    """A new node's size before it exists (for placing it): the header, its input rows, the
    shape/grad_fn/flag lines and one preview, as relayout() will lay them out."""
    s = style()
    ports = len(spec.inputs) if spec is not None else 1
    w = NodeItem.WIDTH
    if spec is not None:
        w = max(w, min(NodeItem.WIDTH_MAX, 3 * NodeItem.PAD + 10 + s.small_fm.horizontalAdvance(
            spec.title) + s.title_fm.horizontalAdvance("name_00")))
    h = s.header_h + ports * s.row_h + 2 + 3 * s.line_h + 4 + NodeItem.PREVIEW_H + 3 + 2 + \
        NodeItem.PAD
    return float(round(w)), float(round(h))


def _shape_line(result) -> str:
    """'[5, 3]  float32' (compact; the inspector shows torch's full dtype)."""
    if getattr(result, "shape", None) is None:
        return ""
    dtype = str(getattr(result, "dtype", "") or "").removeprefix("torch.")
    return f"{shape_text(result.shape)}  {dtype}".rstrip()


def _grad_of(result):
    if result is None:
        return None
    try:
        return getattr(result, "grad", None)
    except Exception:  # a stale result whose tensor is gone: nothing to show
        return None


# the other items, importable from here as before the split
from .frames import BubbleItem, RegionItem  # noqa: E402
from .wires import THICK_LOD, THIN_KEYS, TempWireItem, WireItem, wire_path  # noqa: E402

__all__ = ["estimated_size", "LOD_BOX", "LOD_TEXT", "THICK_LOD", "THIN_KEYS", "NodeItem",
           "WireItem", "TempWireItem", "RegionItem", "BubbleItem", "wire_path", "shape_text"]
