"""Controls for the step-through backward: first / previous / play-pause / next / last, a speed
slider and "step i / n: <grad_fn name>".

A pure widget: `set_steps(names)` gives it the grad_fn names in the engine's execution order;
it keeps the position `step` in 0..n (0 = before backward, i = after the i-th grad_fn ran) and
emits `stepChanged(step)` whenever it moves. The integrator connects that to the views.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QWidget,
)

from . import theme

SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # steps per second, one per slider notch
DEFAULT_SPEED = 1  # index into SPEEDS: 1 step/s


def media_icon(kind: str, color=None) -> QIcon:
    """Transport icons painted in the theme's text color ("first", "previous", "play",
    "pause", "next", "last"); Qt derives the greyed disabled state."""
    size = 48
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color or theme.color("text"))

    def tri(x0, x1):  # a triangle pointing from x0 to x1
        p.drawPolygon(QPolygonF([QPointF(x0, 12), QPointF(x0, 36), QPointF(x1, 24)]))

    if kind == "play":
        tri(15, 37)
    elif kind == "pause":
        p.drawRoundedRect(QRectF(13, 12, 8, 24), 2, 2)
        p.drawRoundedRect(QRectF(27, 12, 8, 24), 2, 2)
    elif kind == "next":
        tri(14, 34)
        p.drawRoundedRect(QRectF(33, 12, 5, 24), 1.5, 1.5)
    elif kind == "previous":
        tri(34, 14)
        p.drawRoundedRect(QRectF(10, 12, 5, 24), 1.5, 1.5)
    elif kind == "last":
        tri(6, 22)
        tri(22, 38)
        p.drawRoundedRect(QRectF(37, 12, 5, 24), 1.5, 1.5)
    elif kind == "first":
        tri(42, 26)
        tri(26, 10)
        p.drawRoundedRect(QRectF(6, 12, 5, 24), 1.5, 1.5)
    else:
        p.end()
        raise ValueError(f"unknown icon {kind!r}")
    p.end()
    return QIcon(pm)


class StepPanel(QWidget):
    stepChanged = Signal(int)  # noqa: N815
    playingChanged = Signal(bool)  # noqa: N815

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._step = 0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

        def button(kind, tip, slot, name):
            b = QToolButton(self)
            b.setObjectName(name)
            b.setIcon(media_icon(kind))
            b.setIconSize(QSize(18, 18))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            b.setFixedSize(b.sizeHint())  # repeated clicks must land on the same button
            return b

        self.first_button = button("first", "First step (before backward)",
                                   self.first, "stepFirst")
        self.prev_button = button("previous", "Previous grad_fn", self.previous,
                                  "stepPrevious")
        self.play_button = button("play", "Play", self.toggle_play, "stepPlay")
        self.next_button = button("next", "Next grad_fn", self.next,
                                  "stepNext")
        self.last_button = button("last", "Last step (backward done)",
                                  self.last, "stepLast")

        self.speed_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setPageStep(1)
        self.speed_slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.speed_slider.setFixedWidth(90)
        self.speed_slider.setValue(DEFAULT_SPEED)
        self.speed_slider.valueChanged.connect(self._speed_changed)
        self.speed_label = QLabel(self)
        self.speed_label.setFixedWidth(max(
            self.speed_label.fontMetrics().horizontalAdvance(f"{s:g}/s") for s in SPEEDS) + 6)

        self.label = QLabel(self)
        self.label.setObjectName("stepLabel")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the text changes every step: it must not change the panel's size (the buttons and
        # the dock would move); it takes the room left, elided, the full text in a tooltip
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("step 00 / 00: ")
                                   + 120)
        self._full_text = ""

        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        for b in (self.first_button, self.prev_button, self.play_button, self.next_button,
                  self.last_button):
            lay.addWidget(b)
        lay.addSpacing(8)
        lay.addWidget(self.label, 1)
        lay.addWidget(QLabel("speed", self))
        lay.addWidget(self.speed_slider)
        lay.addWidget(self.speed_label)
        self._speed_changed(self.speed_slider.value())
        self._refresh()

    def apply_theme(self) -> None:
        for b, kind in ((self.first_button, "first"), (self.prev_button, "previous"),
                        (self.next_button, "next"), (self.last_button, "last")):
            b.setIcon(media_icon(kind))
        self._refresh()

    # -- state ---------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self._step

    @property
    def count(self) -> int:
        return len(self._names)

    def names(self) -> list[str]:
        return list(self._names)

    def speed(self) -> float:
        """Steps per second."""
        return SPEEDS[self.speed_slider.value()]

    def is_playing(self) -> bool:
        return self.timer.isActive()

    def set_steps(self, names, step: int = 0) -> None:
        """A new schedule (grad_fn names in execution order); stops playing. Emits
        stepChanged only if the position changes."""
        self.pause()
        self._names = list(names)
        self.set_step(step)
        self._refresh()

    def set_step(self, step: int) -> None:
        step = max(0, min(int(step), len(self._names)))
        if step == self._step:
            self._refresh()
            return
        self._step = step
        self._refresh()
        self.stepChanged.emit(step)

    def first(self) -> None:
        self.set_step(0)

    def previous(self) -> None:
        self.set_step(self._step - 1)

    def next(self) -> None:
        self.set_step(self._step + 1)

    def last(self) -> None:
        self.set_step(len(self._names))

    # -- play ----------------------------------------------------------------------------
    def play(self) -> None:
        if not self._names or self.timer.isActive():
            return
        if self._step >= len(self._names):  # at the end: play again from the start
            self.set_step(0)
        self.timer.start(round(1000 / self.speed()))
        self._refresh()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self._refresh()
            self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.pause()
        else:
            self.play()

    def _tick(self) -> None:
        self.next()
        if self._step >= len(self._names):
            self.pause()

    def _speed_changed(self, index: int) -> None:
        s = SPEEDS[index]
        self.speed_label.setText(f"{s:g}/s")
        if self.timer.isActive():
            self.timer.setInterval(round(1000 / s))

    # -- display -------------------------------------------------------------------------
    def step_text(self) -> str:
        n, i = len(self._names), self._step
        if n == 0:
            return "no backward to step through"
        if i == 0:
            return f"step 0 / {n}: before backward"
        return f"step {i} / {n}: {self._names[i - 1]}"

    def _refresh(self) -> None:
        n, i = len(self._names), self._step
        self._full_text = self.step_text()
        self._show_label()
        self.first_button.setEnabled(i > 0)
        self.prev_button.setEnabled(i > 0)
        self.next_button.setEnabled(i < n)
        self.last_button.setEnabled(i < n)
        self.play_button.setEnabled(n > 0)
        playing = self.timer.isActive()
        self.play_button.setIcon(media_icon("pause" if playing else "play"))
        self.play_button.setToolTip("Pause" if playing else "Play")

    def _show_label(self) -> None:
        text = self._full_text
        shown = text if not self.label.isVisible() else self.label.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, max(self.label.width(), 40))
        self.label.setText(shown)
        self.label.setToolTip(text if shown != text else "")

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._show_label()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._show_label()

    def full_text(self) -> str:
        return self._full_text

    def hideEvent(self, event) -> None:  # noqa: N802
        self.pause()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.pause()
        super().closeEvent(event)
