"""Canvas items painted with QPainter: nodes (with their ports), wires, no_grad frames.

Items only display; the scene turns gestures on them into intents. Painting is kept cheap for
1,000-node graphs: shared pens/fonts (style.py), text laid out once per change (not per paint),
a wire's path rebuilt only when one of its endpoints moves, and level-of-detail cut-offs.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from . import previews
from .style import style

# Below this zoom a node is a plain colored box; below LOD_TEXT small text is skipped.
LOD_BOX = 0.35
LOD_TEXT = 0.6
THICK_LOD = 1.25  # above this zoom wires use their real pen width
THIN_KEYS = ("wire", "wire_grad")
_LIVE = object()  # no step-through override: show the live .grad


def _header_path(width: float, height: float, r: float) -> QPainterPath:
    path = QPainterPath()
    path.moveTo(0, height)
    path.lineTo(0, r)
    path.arcTo(0, 0, 2 * r, 2 * r, 180, -90)
    path.lineTo(width - r, 0)
    path.arcTo(width - 2 * r, 0, 2 * r, 2 * r, 90, -90)
    path.lineTo(width, height)
    path.closeSubpath()
    return path


def shape_text(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


class NodeItem(QGraphicsItem):
    """One document node: header (variable name, op title), input ports, output port, info."""

    WIDTH = 196.0
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
    _HEADER_PATH: QPainterPath | None = None

    def __init__(self, node, spec, frozen: bool = False) -> None:
        super().__init__()
        self.node_id: str = node.id
        self.spec = spec
        self.wires_in: dict[tuple[str, int], WireItem] = {}
        self.wires_out: list[WireItem] = []
        self.result = None
        self.emphasis = 0          # 1 highlighted, -1 dimmed (backward-DAG display)
        self.is_root = False
        self.preview: QImage | None = None
        self.anomaly: str | None = None  # NaN/Inf message (detect_anomaly style)
        self.step_mark: str | None = None  # step-through: "active" | "done" | None
        self._grad_override = _LIVE  # step-through: the .grad at this step instead of live
        self._rows: list[tuple[str, float, float]] = []  # preview rows (kind, top, height)
        self._moved_callback = None
        self.hover_port = None  # ('out',) or ('in', port, index) under the cursor
        self._result_sig = None
        self._slots: list[tuple[str, int, str, float]] = []
        self._lines: list[tuple[str, object, object, float, float]] = []
        self._rect = QRectF()
        self._bounds = QRectF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
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
        self.relayout()

    def set_result(self, result) -> None:
        """Executor data to show; relayout only when something displayed changed."""
        sig = None if result is None else (*(
            getattr(result, k, None) for k in ("shape", "dtype", "grad_fn", "requires_grad",
                                               "is_leaf", "error", "blocked_by", "grad_count")),
            getattr(result, "value", None) is None, _grad_of(result) is None)
        self.result = result
        if sig != self._result_sig:
            self._result_sig = sig
            self.relayout()

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

    def relayout(self) -> None:
        s = style()
        old_slots = [(p, i, yy) for p, i, _, yy in self._slots]
        self._slots = self._build_slots()
        y = self.HEADER + len(self._slots) * self.ROW + 2
        lines: list[tuple[str, object, object, float, float]] = []
        width = self.WIDTH - 2 * self.PAD

        def add(text, pen, font, fm):
            nonlocal y
            y += self.LINE
            sx = 1.0
            advance = fm.horizontalAdvance(text)
            if advance > width:  # squeeze long grad_fn names a little before eliding
                sx = max(width / advance, 0.72)
            lines.append((fm.elidedText(text, Qt.TextElideMode.ElideRight, width / sx), pen,
                          font, y - 4, sx))

        r = self.result
        tip = [f"{self.name} = {self.title}"]
        if self.spec is not None and self.spec.doc:
            tip.append(self.spec.doc)
        if r is not None and getattr(r, "error", None):
            for chunk in _wrap(str(r.error), s.small_fm, width, 3):
                add(chunk, s.error_text_pen, s.small_font, s.small_fm)
            tip.append(str(r.error))
        elif r is not None and getattr(r, "blocked_by", None):
            add(f"blocked by {self._blocked_name(r.blocked_by)}", s.blocked_pen, s.small_font,
                s.small_fm)
            tip.append(f"not computed: upstream node {self._blocked_name(r.blocked_by)} failed")
        elif r is not None:
            if r.shape is not None:
                dtype = str(r.dtype or "").removeprefix("torch.")  # compact; inspector: full
                add(f"{shape_text(r.shape)}  {dtype}".rstrip(), s.text_pen, s.mono_font, s.mono_fm)
            if r.grad_fn:
                add(str(r.grad_fn), s.grad_fn_pen, s.mono_font, s.mono_fm)
                tip.append(f"grad_fn=<{r.grad_fn}>  requires_grad=True")
            elif r.requires_grad and r.is_leaf:
                add("AccumulateGrad", s.leaf_pen, s.mono_font, s.mono_fm)
                tip.append("leaf, requires_grad=True: backward accumulates into its .grad")
            else:
                add("grad_fn=None · requires_grad=False", s.muted_pen, s.mono_font, s.mono_fm)
                tip.append("grad_fn=None  requires_grad=False")
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
            add(" · ".join(flags), s.muted_pen, s.small_font, s.small_fm)
        if self.anomaly:
            for chunk in _wrap(self.anomaly, s.small_fm, width - 14, 3):
                add(chunk, s.error_text_pen, s.small_font, s.small_fm)
            tip.append(self.anomaly)
        rows = []
        y += 4
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
        height = y + self.PAD
        self._lines = lines
        inner = self.WIDTH - 3 * self.PAD - 2
        self._name_text = s.title_fm.elidedText(
            self.name, Qt.TextElideMode.ElideRight,
            inner - min(s.small_fm.horizontalAdvance(self.title), inner / 2))
        badge = s.small_fm.horizontalAdvance("root") + 6 if self.is_root else 0
        if self.frozen:
            badge += self.LOCK_W
        if self.anomaly:
            badge += self.LOCK_W
        self._title_text = s.small_fm.elidedText(
            self.title, Qt.TextElideMode.ElideRight,
            inner - s.title_fm.horizontalAdvance(self._name_text) - badge)
        self._title_x = self.WIDTH - self.PAD - s.small_fm.horizontalAdvance(self._title_text)
        rect = QRectF(0, 0, self.WIDTH, height)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            m = self.PORT_R + 5  # room for the hover ring
            self._bounds = rect.adjusted(-m, -2, m, 2)
        self.setToolTip("\n".join(tip))
        self.update()
        if old_slots != [(p, i, yy) for p, i, _, yy in self._slots]:
            for w in list(self.wires_in.values()):
                if w is not None:
                    w.update_path()

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
        for p, i, _, y in self._slots:
            if p == port and i == index:
                return QPointF(0.0, y)
        raise KeyError(f"node {self.node_id} has no input slot {port}[{index}]")

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

    def itemChange(self, change, value):  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for w in self.wires_in.values():
                if w is not None:
                    w.update_path()
            for w in self.wires_out:
                w.update_path()
            if self._moved_callback is not None:
                self._moved_callback(self)
        return super().itemChange(change, value)

    # ----------------------------------------------------------------- painting
    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(p.worldTransform())
        rect = self._rect
        selected = self.isSelected()
        r = self.result
        error = r is not None and bool(getattr(r, "error", None))
        blocked = r is not None and not error and bool(getattr(r, "blocked_by", None))
        if self.emphasis < 0 and not selected:
            self._paint_dimmed(p, s, lod)
            return
        if blocked:
            p.setOpacity(0.6)
        if lod < LOD_BOX:
            p.setPen(s.selected_pen if selected else (s.error_pen if error else Qt.PenStyle.NoPen))
            p.setBrush(s.header_brush(self.category))
            p.drawRect(rect)
            return
        if NodeItem._HEADER_PATH is None:
            NodeItem._HEADER_PATH = _header_path(self.WIDTH, self.HEADER, self.RADIUS)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(s.error_brush if error else s.body_brush)
        p.drawRoundedRect(rect, self.RADIUS, self.RADIUS)
        p.setBrush(s.header_brush(self.category))
        p.drawPath(NodeItem._HEADER_PATH)
        p.setBrush(s.stripe_brush(self.category))
        p.drawRect(QRectF(0, self.HEADER - 2, self.WIDTH, 2))
        if selected:
            pen = s.selected_pen
        elif error or self.anomaly:
            pen = s.error_pen
        elif self.step_mark == "active":
            pen = s.step_active_pen
        elif self.emphasis > 0:
            pen = s.highlight_pen
        elif self.step_mark == "done":
            pen = s.step_done_pen
        else:
            pen = s.border_pen
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, self.RADIUS, self.RADIUS)

        p.setFont(s.title_font)
        p.setPen(s.text_pen)
        p.drawText(QPointF(self.PAD + 2, 17.5), self._name_text)
        p.setFont(s.small_font)
        p.setPen(s.muted_pen)
        p.drawText(QPointF(self._title_x, 17), self._title_text)
        bx = self.PAD + 2 + s.title_fm.horizontalAdvance(self._name_text) + 6
        if self.is_root:
            p.setPen(s.grad_fn_pen)
            p.drawText(QPointF(bx, 17), "root")
            bx += s.small_fm.horizontalAdvance("root") + 6
        if self.frozen:
            _draw_lock(p, QPointF(bx + 5, 13), s)
            bx += self.LOCK_W
        if self.anomaly:
            _draw_warning(p, QPointF(bx + 5, 13), s)

        if lod >= LOD_TEXT:
            p.setPen(s.muted_pen)
            for _, _, label, y in self._slots:
                p.drawText(QPointF(self.PAD + 4, y + 4), label)
            for text, pen, font, y, sx in self._lines:
                p.setFont(font)
                p.setPen(pen)
                if sx == 1.0:
                    p.drawText(QPointF(self.PAD, y), text)
                else:
                    p.save()
                    p.translate(self.PAD, y)
                    p.scale(sx, 1.0)
                    p.drawText(QPointF(0, 0), text)
                    p.restore()
            if self._rows:
                self._paint_previews(p, s)
            if self.preview is not None:
                target = QRectF(self.PAD, self._preview_top, self.WIDTH - 2 * self.PAD,
                                self.PREVIEW_H)
                p.drawImage(target, self.preview)

        # ports: filled when connected, a ring when free
        pr = self.PORT_R
        for port, index, _, y in self._slots:
            if (port, index) in self.wires_in:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(s.port_in_brush)
            else:
                p.setPen(s.port_ring_pen)
                p.setBrush(s.port_hole_brush)
            p.drawEllipse(QPointF(0, y), pr, pr)
        out = self.output_port_pos()
        if self.wires_out:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(s.port_out_brush)
        else:
            p.setPen(s.port_out_ring_pen)
            p.setBrush(s.port_hole_brush)
        p.drawEllipse(out, pr, pr)
        hover = self.hover_port
        if hover is not None:  # a ring around the port the cursor would grab
            p.setPen(s.selected_pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            try:
                c = out if hover[0] == "out" else self.input_port_pos(hover[1], hover[2])
            except KeyError:
                return
            p.drawEllipse(c, pr + 3, pr + 3)

    def _paint_dimmed(self, p: QPainter, s, lod: float) -> None:
        """Off the highlighted DAG: a faint silhouette with the name, in colours pre-blended
        toward the canvas (no opacity layer, no ports/lines/previews: cheap on big scenes)."""
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(s.dim_body_brush)
        if lod < LOD_BOX:
            p.drawRect(self._rect)
            return
        p.drawRoundedRect(self._rect, self.RADIUS, self.RADIUS)
        p.setBrush(s.dim_header_brush)
        p.drawPath(NodeItem._HEADER_PATH or _header_path(self.WIDTH, self.HEADER, self.RADIUS))
        p.setFont(s.title_font)
        p.setPen(s.dim_text_pen)
        p.drawText(QPointF(self.PAD + 2, 17.5), self._name_text)
        if lod >= LOD_TEXT:
            p.setFont(s.small_font)
            p.drawText(QPointF(self._title_x, 17), self._title_text)
            for text, _pen, font, y, sx in self._lines[:2]:
                p.setFont(font)
                p.save()
                p.translate(self.PAD, y)
                p.scale(sx, 1.0)
                p.drawText(QPointF(0, 0), text)
                p.restore()

    def _paint_previews(self, p: QPainter, s) -> None:
        p.setFont(s.small_font)
        for kind, rect in self.preview_rows():
            array = self.value_array() if kind == "value" else self.grad_array()
            cap_y = rect.top() + min(rect.height() / 2 + 4, 12)
            p.setPen(s.muted_pen if kind == "value" else s.grad_caption_pen)
            p.drawText(QPointF(self.PAD, cap_y), "value" if kind == "value" else ".grad")
            if kind == "grad":
                count = self.grad_count()
                if count and rect.height() > self.NUMBER_H:
                    text = f"×{count}"
                    w = s.small_fm.horizontalAdvance(text) + 8
                    pill = QRectF(self.PAD, cap_y + 5, w, s.small_fm.height() + 2)
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(s.badge_brush)
                    p.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
                    p.setPen(s.badge_text_pen)
                    p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
                elif count:
                    p.drawText(QPointF(self.PAD + s.small_fm.horizontalAdvance(".grad") + 2,
                                       cap_y), f"×{count}")
            previews.paint(p, rect, array, kind)

    def set_hover_port(self, port) -> None:
        if port != self.hover_port:
            self.hover_port = port
            self.update()


def _grad_of(result):
    if result is None:
        return None
    try:
        return getattr(result, "grad", None)
    except Exception:  # a stale result whose tensor is gone: nothing to show
        return None


def _draw_lock(p: QPainter, c: QPointF, s) -> None:
    """A small padlock centred at `c`: frozen leaf."""
    p.setPen(s.lock_pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(c.x() - 3, c.y() - 6.5, 6, 7), 0, 180 * 16)
    p.drawLine(QPointF(c.x() - 3, c.y() - 3), QPointF(c.x() - 3, c.y() - 1))
    p.drawLine(QPointF(c.x() + 3, c.y() - 3), QPointF(c.x() + 3, c.y() - 1))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(s.lock_brush)
    p.drawRoundedRect(QRectF(c.x() - 4.5, c.y() - 1.5, 9, 7), 1.5, 1.5)


def _draw_warning(p: QPainter, c: QPointF, s) -> None:
    """A red triangle with '!' centred at `c`: NaN/Inf anomaly."""
    path = QPainterPath(QPointF(c.x(), c.y() - 6))
    path.lineTo(c.x() + 6, c.y() + 5)
    path.lineTo(c.x() - 6, c.y() + 5)
    path.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(s.anomaly_brush)
    p.drawPath(path)
    p.setPen(s.anomaly_text_pen)
    p.drawLine(QPointF(c.x(), c.y() - 2), QPointF(c.x(), c.y() + 1.5))
    p.drawPoint(QPointF(c.x(), c.y() + 3.5))


def _wrap(text: str, fm, width: float, max_lines: int) -> list[str]:
    words = text.replace("\n", " ").split(" ")
    lines, cur = [], ""
    for w in words:
        trial = f"{cur} {w}" if cur else w
        if fm.horizontalAdvance(trial) <= width or not cur:
            cur = trial
        else:
            lines.append(cur)
            cur = w
    if cur:
        lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + " …"
    return lines


def wire_path(p0: QPointF, p1: QPointF) -> QPainterPath:
    dx = abs(p1.x() - p0.x())
    c = max(dx * 0.5, 40.0)
    if p1.x() < p0.x():  # a wire running backwards loops out so it stays readable
        c = max(c, min(160.0, abs(p1.y() - p0.y()) * 0.5 + 60.0))
    path = QPainterPath(p0)
    path.cubicTo(QPointF(p0.x() + c, p0.y()), QPointF(p1.x() - c, p1.y()), p1)
    return path


class WireItem(QGraphicsItem):
    """A document wire: a cubic from the source's output port to a destination input slot."""

    def __init__(self, wire, src: NodeItem, dst: NodeItem) -> None:
        super().__init__()
        self.wire = wire
        self.src = src
        self.dst = dst
        self.carries_grad: bool | None = None
        self.emphasis = 0
        self.label: str | None = None  # e.g. the gradient arriving here (step-through)
        self.label_array = None  # a small preview drawn in the label's pill
        self.stepped = False  # step-through: gradient has travelled along this wire
        self._label_rect = QRectF()
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(1)
        self.update_path()

    def update_path(self) -> None:
        try:
            p1 = self.dst.input_port_scene_pos(self.wire.port, self.wire.index)
        except KeyError:
            p1 = self.dst.pos()
        path = wire_path(self.src.output_port_scene_pos(), p1)
        self.prepareGeometryChange()
        self._path = path
        self._shape = None
        self._bounds = path.controlPointRect().adjusted(-3, -3, 3, 3)
        if self.label:
            fm = style().small_fm
            mid = path.pointAtPercent(0.5)
            w, h = fm.horizontalAdvance(self.label) + 10, fm.height() + 4
            if self.label_array is not None and not previews.is_number(self.label_array):
                w += self.LABEL_PREVIEW_W + 4
                h = max(h, self.LABEL_PREVIEW_H + 4)
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
            self._bounds = self._bounds.united(self._label_rect.adjusted(-2, -2, 2, 2))

    LABEL_PREVIEW_W = 40.0
    LABEL_PREVIEW_H = 14.0

    def set_label(self, text: str | None, array=None) -> None:
        """A short text in a pill at the wire's middle, with a small diverging preview of
        `array` (the gradient arriving along the wire) when given; None removes it."""
        if text != self.label or array is not self.label_array:
            self.label = text or None
            self.label_array = array if self.label else None
            self.setZValue(3 if self.label else 1)  # a label reads above the nodes
            self.update_path()
            self.update()

    def set_stepped(self, value: bool) -> None:
        if value != self.stepped:
            self.stepped = value
            self.update()

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def set_carries_grad(self, value: bool | None) -> None:
        if value != self.carries_grad:
            self.carries_grad = value
            self.update()

    def set_emphasis(self, emphasis: int) -> None:
        if emphasis != self.emphasis:
            self.emphasis = emphasis
            self.update()

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        lod = option.levelOfDetailFromTransform(p.worldTransform())
        low = lod < LOD_BOX
        if self.isSelected():
            key, pen = "accent", s.wire_selected_pen
        elif self.stepped:
            key, pen = "step_active", s.wire_step_pen
        elif self.emphasis > 0:
            key, pen = "highlight", s.wire_highlight_pen
        elif self.carries_grad is None:
            key, pen = "wire", s.wire_pen
        elif self.carries_grad:
            key, pen = "wire_grad", s.wire_grad_pen
        else:
            key, pen = "wire_nograd", s.wire_nograd_pen
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self.emphasis < 0 and key not in ("accent", "step_active"):
            # off the highlighted DAG: one hairline pre-blended toward the canvas (no
            # opacity layer), so a dimmed 1,000-node scene paints as fast as a plain one
            if low:
                p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(s.wire_dim_pen)
            p.drawPath(self._path)
        elif low:  # hairlines without antialiasing: the cheapest stroke there is
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(s.wire_lod_pens[key])
            p.drawPath(self._path)
        elif key in THIN_KEYS and 0.5 < lod <= THICK_LOD:
            # An antialiased 2 px stroke costs ~10x a 1 px one (Qt's cosmetic fast path):
            # three 1 px strokes offset by 1 px look the same at a third of the cost.
            p.setPen(s.wire_lod_pens[key])
            d = 1.0 / lod
            path = self._path
            p.drawPath(path)
            p.translate(d, 0)
            p.drawPath(path)
            p.translate(-d, d)
            p.drawPath(path)
            p.translate(0, -d)
        else:
            p.setPen(pen)
            p.drawPath(self._path)
        if self.label and not low:
            p.setOpacity(1.0)
            p.setPen(s.label_pen)
            p.setBrush(s.body_brush)
            rect = self._label_rect
            p.drawRoundedRect(rect, 4, 4)
            p.setFont(s.small_font)
            p.setPen(s.text_pen)
            text_rect = rect
            if self.label_array is not None and not previews.is_number(self.label_array):
                img = QRectF(rect.left() + 4, rect.center().y() - self.LABEL_PREVIEW_H / 2,
                             self.LABEL_PREVIEW_W, self.LABEL_PREVIEW_H)
                previews.paint(p, img, self.label_array, "grad")
                text_rect = rect.adjusted(self.LABEL_PREVIEW_W + 4, 0, 0, 0)
            p.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, self.label)


class TempWireItem(QGraphicsItem):
    """The wire being dragged: from a fixed port to the cursor."""

    def __init__(self, anchor: QPointF, from_output: bool) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.refused = False
        self._path = QPainterPath()
        self._bounds = QRectF()
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.set_end(anchor)

    def set_end(self, end: QPointF, refused: bool = False) -> None:
        path = wire_path(self.anchor, end) if self.from_output else wire_path(end, self.anchor)
        self.prepareGeometryChange()
        self._path = path
        self.refused = refused
        self._bounds = path.controlPointRect().adjusted(-3, -3, 3, 3)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        p.setPen(s.wire_refused_pen if self.refused else s.wire_temp_pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(self._path)


class RegionItem(QGraphicsItem):
    """A no_grad frame drawn around its member nodes (or at its stored rect).

    Its bottom-right corner is a resize grip (dragged by interactions.FrameResize); everything
    else lets clicks through to the nodes and the rubber band."""

    MARGIN = 18.0
    TITLE_H = 20.0
    HANDLE = 14.0
    MIN_W, MIN_H = 80.0, 60.0

    def __init__(self, region_id: str) -> None:
        super().__init__()
        self.region_id = region_id
        self.title = ""
        self.members: set[str] = set()
        self.fixed_rect: QRectF | None = None
        self.frozen = False  # True while nodes are dragged: the frame stays put
        self.emphasis = 0
        self._rect = QRectF()
        self.resizing = False  # True while the FrameResize interaction drags the grip
        self.setZValue(-1)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setAcceptHoverEvents(True)

    def sync(self, region, node_items: dict) -> None:
        self.title = f"with torch.{region.kind}():" if getattr(region, "kind", "") else \
            region.title
        if region.title and region.title != getattr(region, "kind", None):
            self.title = f"{self.title}  {region.title}"
        self.members = set(region.members)
        rect = getattr(region, "rect", None)
        self.fixed_rect = QRectF(*rect) if rect else None
        self.refit(node_items, force=True)

    def fitted_rect(self, node_items: dict) -> QRectF:
        """The frame around the members (what an auto-sized frame shows)."""
        rect = QRectF()
        for nid in self.members:
            item = node_items.get(nid)
            if item is not None:
                rect = rect.united(item.body_rect().translated(item.pos()))
        if rect.isNull():
            rect = QRectF(0, 0, 1, 1)
        return rect.adjusted(-self.MARGIN, -self.MARGIN - self.TITLE_H, self.MARGIN,
                             self.MARGIN)

    def refit(self, node_items: dict, force: bool = False) -> None:
        if (self.frozen or self.resizing) and not force:
            return
        rect = QRectF(self.fixed_rect) if self.fixed_rect is not None else \
            self.fitted_rect(node_items)
        self.set_rect(rect)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            self.update()

    def rect(self) -> QRectF:
        return self._rect

    def handle_rect(self) -> QRectF:
        r, h = self._rect, self.HANDLE
        return QRectF(r.right() - h, r.bottom() - h, h, h)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        # only the handle takes the mouse: the frame's inside belongs to the nodes
        path = QPainterPath()
        path.addRect(self.handle_rect().adjusted(-3, -3, 2, 2))
        return path

    def set_emphasis(self, emphasis: int) -> None:
        if emphasis != self.emphasis:
            self.emphasis = emphasis
            self.update()

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self.setCursor(Qt.CursorShape.SizeFDiagCursor)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self.unsetCursor()

    def grip_contains(self, local: QPointF) -> bool:
        return self.handle_rect().adjusted(-3, -3, 2, 2).contains(local)

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        if self.emphasis < 0:
            p.setOpacity(0.45)
        p.setPen(s.region_pen)
        p.setBrush(s.region_brush)
        p.drawRoundedRect(self._rect, 10, 10)
        if option.levelOfDetailFromTransform(p.worldTransform()) >= LOD_BOX:
            p.setFont(s.small_font)
            p.setPen(s.region_title_pen)
            p.drawText(QPointF(self._rect.left() + 10, self._rect.top() + 14), self.title)
            hr = self.handle_rect()  # the grip: three short diagonals in the corner
            p.setPen(s.region_handle_pen)
            for k in (4.0, 8.0, 12.0):
                p.drawLine(QPointF(hr.right() - k, hr.bottom() - 2),
                           QPointF(hr.right() - 2, hr.bottom() - k))


class BubbleItem(QGraphicsItem):
    """A short message near the cursor (why a wire was refused); readable at any zoom."""

    def __init__(self, text: str) -> None:
        super().__init__()
        s = style()
        self.text = text
        w = s.small_fm.horizontalAdvance(text) + 16
        self._rect = QRectF(8, 8, w, s.small_fm.height() + 10)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(20)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, p: QPainter, option, widget=None) -> None:
        s = style()
        p.setPen(s.bubble_pen)
        p.setBrush(s.bubble_brush)
        p.drawRoundedRect(self._rect, 4, 4)
        p.setFont(s.small_font)
        p.setPen(s.error_text_pen)
        p.drawText(self._rect.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter, self.text)
