"""Step-through controls: buttons clicked for real, the label, play on a timer, close stops it."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from engine.document.execution import Executor
from widgets.step_panel import SPEEDS, StepPanel, media_icon

from .conftest import tutorial_doc

pytestmark = pytest.mark.gui


@pytest.fixture
def schedule():
    """The tutorial's real backward order, from the executor."""
    ex = Executor(tutorial_doc())
    ex.forward()
    names = [name for name, _ in ex.backward_schedule("n7")]
    ex.close()
    return names


@pytest.fixture
def panel(qtbot, schedule):
    p = StepPanel()
    qtbot.addWidget(p)
    p.set_steps(schedule)
    p.resize(600, 40)
    p.show()
    qtbot.waitExposed(p)
    return p


def press(button):
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_buttons_move_and_label(qtbot, panel, schedule):
    n = len(schedule)
    assert schedule[0] == "BinaryCrossEntropyWithLogitsBackward0"
    assert panel.step == 0 and panel.full_text() == f"step 0 / {n}: before backward"
    assert not panel.prev_button.isEnabled() and not panel.first_button.isEnabled()
    with qtbot.waitSignal(panel.stepChanged, timeout=500) as sig:
        press(panel.next_button)
    assert sig.args == [1]
    assert panel.full_text() == f"step 1 / {n}: {schedule[0]}"
    press(panel.next_button)
    assert panel.full_text() == f"step 2 / {n}: {schedule[1]}"
    press(panel.prev_button)
    assert panel.step == 1
    press(panel.last_button)
    assert panel.step == n and panel.full_text().endswith(schedule[-1])
    assert not panel.next_button.isEnabled() and not panel.last_button.isEnabled()
    got = []
    panel.stepChanged.connect(got.append)
    panel.next()  # at the end: clamped, no signal
    press(panel.first_button)
    assert panel.step == 0 and got == [0]


def test_play_runs_to_the_end_on_a_timer(qtbot, panel, schedule):
    panel.speed_slider.setValue(len(SPEEDS) - 1)  # fastest
    assert panel.speed() == SPEEDS[-1] and panel.speed_label.text() == f"{SPEEDS[-1]:g}/s"
    seen = []
    panel.stepChanged.connect(seen.append)
    press(panel.play_button)
    assert panel.is_playing() and panel.play_button.toolTip() == "Pause"
    assert panel.timer.interval() == round(1000 / SPEEDS[-1])
    qtbot.waitUntil(lambda: not panel.is_playing(), timeout=3000)
    assert seen == list(range(1, len(schedule) + 1))
    assert panel.play_button.toolTip() == "Play"
    # play at the end starts over
    press(panel.play_button)
    assert panel.is_playing() and panel.step == 0
    press(panel.play_button)  # pause
    assert not panel.is_playing()


def test_speed_change_while_playing_and_close_stops(qtbot, panel):
    panel.speed_slider.setValue(0)
    panel.play()
    assert panel.timer.interval() == round(1000 / SPEEDS[0])
    panel.speed_slider.setValue(3)
    assert panel.timer.interval() == round(1000 / SPEEDS[3])
    panel.close()
    assert not panel.is_playing()


def test_new_schedule_stops_and_resets(qtbot, panel):
    panel.set_step(3)
    panel.play()
    panel.set_steps(["AddBackward0", "AccumulateGrad"])
    assert not panel.is_playing() and panel.step == 0 and panel.count == 2
    panel.set_steps([])
    assert panel.full_text() == "no backward to step through"
    assert not panel.play_button.isEnabled()
    panel.play()
    assert not panel.is_playing()


def test_icons_are_painted(panel):
    img = media_icon("play", QColor("#ff0000")).pixmap(48, 48).toImage()
    centre, corner = img.pixelColor(24, 24), img.pixelColor(2, 2)
    assert (centre.red(), centre.green(), centre.alpha()) == (255, 0, 255)
    assert corner.alpha() == 0
    pause = media_icon("pause").pixmap(48, 48).toImage()
    assert pause.pixelColor(24, 24).alpha() == 0  # the gap between the two bars
    with pytest.raises(ValueError):
        media_icon("rewind")
