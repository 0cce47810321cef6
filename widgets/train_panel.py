"""The Train panel: controls for a training run and its live plots (pyqtgraph).

A view only: it shows the setup, the step records and a decision boundary it is given, and
emits intents (play/pause, run N steps, reset, an edited setup) -- ``app/train_dock.py``
turns them into training and undoable commands."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.document.training.setup import OPTIMIZERS

PENS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
        "#7f7f7f", "#bcbd22", "#17becf"]


class TrainPanel(QWidget):
    playToggled = Signal(bool)  # noqa: N815 (Qt naming)
    stepsRequested = Signal(int)  # noqa: N815 - run this many steps, then stop
    resetRequested = Signal()  # noqa: N815
    setupEdited = Signal(dict)  # noqa: N815 - a full setup (the document's, with the edited field)
    speedChanged = Signal(int)  # noqa: N815 - steps per slice

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPanel")
        self._setup: dict | None = None
        self._updating = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)

        form = QFormLayout()
        self.optimizer = QComboBox(objectName="optimizerCombo")
        self.optimizer.addItems(list(OPTIMIZERS))
        self.lr = QDoubleSpinBox(objectName="lrSpin", decimals=6, minimum=0.0, maximum=100.0,
                                 singleStep=0.001)
        self.zero_grad = QCheckBox("optimizer.zero_grad() each step", objectName="zeroGradCheck")
        form.addRow("Optimizer", self.optimizer)
        form.addRow("lr", self.lr)
        form.addRow(self.zero_grad)
        lay.addLayout(form)

        buttons = QGridLayout()
        self.play = QPushButton("Play", objectName="playButton", checkable=True)
        self.step = QPushButton("Step", objectName="stepButton")
        self.n_steps = QSpinBox(objectName="nStepsSpin", minimum=1, maximum=100000, value=100)
        self.run_n = QPushButton("Run N", objectName="runNButton")
        self.reset = QPushButton("Reset", objectName="resetButton")
        self.speed = QSlider(Qt.Orientation.Horizontal, objectName="speedSlider",
                             minimum=1, maximum=200, value=20)
        self.speed.setToolTip("steps per slice (each slice keeps the window responsive)")
        buttons.addWidget(self.play, 0, 0)
        buttons.addWidget(self.step, 0, 1)
        buttons.addWidget(self.reset, 0, 2)
        buttons.addWidget(self.n_steps, 1, 0)
        buttons.addWidget(self.run_n, 1, 1)
        buttons.addWidget(self.speed, 1, 2)
        lay.addLayout(buttons)

        self.status = QLabel("no training yet", objectName="trainStatus", wordWrap=True)
        lay.addWidget(self.status)

        self.tabs = QTabWidget(objectName="trainTabs")
        loss_box = QWidget()
        lb = QVBoxLayout(loss_box)
        lb.setContentsMargins(0, 0, 0, 0)
        self.log_scale = QCheckBox("log scale", objectName="logScaleCheck")
        lb.addWidget(self.log_scale)
        self.loss_plot = pg.PlotWidget(objectName="lossPlot")
        self.loss_plot.setLabel("bottom", "step")
        self.loss_plot.setLabel("left", "loss")
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen(PENS[0], width=2))
        lb.addWidget(self.loss_plot)
        self.tabs.addTab(loss_box, "Loss")
        self.grad_plot = pg.PlotWidget(objectName="gradPlot")
        self.grad_plot.setLabel("left", "‖grad‖")
        self.grad_plot.addLegend(offset=(5, 5))
        self.tabs.addTab(self.grad_plot, "Grad norm")
        self.value_plot = pg.PlotWidget(objectName="valuePlot")
        self.value_plot.setLabel("left", "value (‖w‖ if not 1 element)")
        self.value_plot.addLegend(offset=(5, 5))
        self.tabs.addTab(self.value_plot, "Values")
        self.lr_plot = pg.PlotWidget(objectName="lrPlot")
        self.lr_plot.setLabel("left", "lr")
        self.lr_curve = self.lr_plot.plot([], [], pen=pg.mkPen(PENS[2], width=2))
        self.tabs.addTab(self.lr_plot, "lr")
        self.boundary_plot = pg.PlotWidget(objectName="boundaryPlot")
        self.boundary_plot.setAspectLocked(True)
        self.boundary = pg.ImageItem(axisOrder="row-major")
        self.boundary.setLookupTable(_diverging_lut())
        self.boundary_plot.addItem(self.boundary)
        self.points = pg.ScatterPlotItem(size=5, pen=pg.mkPen("k", width=0.5))
        self.boundary_plot.addItem(self.points)
        self.tabs.addTab(self.boundary_plot, "Decision boundary")
        lay.addWidget(self.tabs, 1)
        self.grad_curves: dict = {}
        self.value_curves: dict = {}
        self._cols: dict = {"n": 0, "last": None, "names": None}
        self._points_of = None  # the data the scatter shows (set once per data set)

        self.play.toggled.connect(self._play_toggled)
        self.step.clicked.connect(lambda: self.stepsRequested.emit(1))
        self.run_n.clicked.connect(lambda: self.stepsRequested.emit(self.n_steps.value()))
        self.reset.clicked.connect(self.resetRequested)
        self.speed.valueChanged.connect(self.speedChanged)
        self.log_scale.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        self.optimizer.currentTextChanged.connect(self._optimizer_edited)
        self.lr.editingFinished.connect(lambda: self._edited("lr", self.lr.value()))
        self.zero_grad.toggled.connect(lambda on: self._edited("zero_grad", on))

    # -- intents --------------------------------------------------------------------------
    def _play_toggled(self, on: bool) -> None:
        self.play.setText("Pause" if on else "Play")
        if not self._updating:
            self.playToggled.emit(on)

    def _edited(self, key, value) -> None:
        if self._updating or self._setup is None or self._setup.get(key) == value:
            return
        self.setupEdited.emit({**self._setup, key: value})

    def _optimizer_edited(self, name: str) -> None:
        if self._updating or self._setup is None or self._setup["optimizer"] == name:
            return  # a new optimizer starts from its own defaults; lr and the rest stay
        self.setupEdited.emit({**self._setup, "optimizer": name, "options": {}})

    # -- what it shows --------------------------------------------------------------------
    def set_setup(self, setup: dict) -> None:
        self._setup = setup
        self._updating = True
        try:
            self.optimizer.setCurrentText(setup["optimizer"])
            self.lr.setValue(setup["lr"])
            self.zero_grad.setChecked(setup["zero_grad"])
        finally:
            self._updating = False

    def set_running(self, on: bool) -> None:
        self._updating = True
        try:
            self.play.setChecked(on)
        finally:
            self._updating = False

    def set_history(self, records, names: dict) -> None:
        """Curves from the step records; ``names``: node id -> the parameter's name. Records
        that extend the last call's are appended (a long run costs O(new steps) per call in
        Python); a shorter or different list (undo, reset) is rebuilt."""
        cols = self._cols
        n = cols["n"]
        if n > len(records) or (n and records[n - 1] is not cols["last"]) or \
                cols["names"] is None or names.keys() != cols["names"]:
            cols.update(n=0, step=[], loss=[], lr=[], grad={k: [] for k in names},
                        value={k: [] for k in names}, names=names.keys())
            n = 0
        for r in records[n:]:
            cols["step"].append(r.step)
            cols["loss"].append(r.loss)
            cols["lr"].append(r.lr)
            for k in names:
                g, v = r.grad_norms.get(k), r.values.get(k)
                cols["grad"][k].append(math.nan if g is None else g)
                cols["value"][k].append(math.nan if v is None else v)
        cols["n"] = len(records)
        cols["last"] = records[-1] if records else None
        steps = np.array(cols["step"], dtype=float)
        loss = np.array(cols["loss"], dtype=float)
        if self.log_scale.isChecked():
            loss = np.where(loss > 0, loss, np.nan)  # log of <= 0 has no point
        self.loss_curve.setData(steps, loss)
        self.lr_curve.setData(steps, np.array(cols["lr"], dtype=float))
        for plot, curves, key in ((self.grad_plot, self.grad_curves, "grad"),
                                  (self.value_plot, self.value_curves, "value")):
            for nid in list(curves):
                if nid not in names:
                    plot.removeItem(curves.pop(nid))
            for i, (nid, name) in enumerate(names.items()):
                if nid not in curves:
                    curves[nid] = plot.plot([], [], name=name,
                                            pen=pg.mkPen(PENS[i % len(PENS)], width=1.5))
                curves[nid].setData(steps, np.array(cols[key][nid], dtype=float))

    def set_boundary(self, image, rect, X=None, y=None) -> None:
        """``image``: P(class 1) on a grid, rows = y; ``rect``: (x0, y0, w, h) it covers."""
        if image is None:
            self.boundary.clear()
            self.points.clear()
            self._points_of = None
            return
        self.boundary.setImage(image, levels=(0.0, 1.0))
        self.boundary.setRect(*rect)
        if X is not None and self._points_of is not X:
            self._points_of = X
            brushes = [pg.mkBrush("#d62728" if v > 0.5 else "#1f77b4") for v in y]
            self.points.setData(x=X[:, 0], y=X[:, 1], brush=brushes)

    def set_status(self, text: str) -> None:
        self.status.setText(text)


def _diverging_lut() -> np.ndarray:
    """Blue (class 0) - white - red (class 1), 256 entries."""
    t = np.linspace(0.0, 1.0, 256)[:, None]
    blue, white, red = np.array([[49, 130, 189]]), np.array([[247, 247, 247]]), \
        np.array([[214, 39, 40]])
    lut = np.where(t < 0.5, blue + (white - blue) * (t / 0.5), white + (red - white) *
                   ((t - 0.5) / 0.5))
    return lut.astype(np.ubyte)


__all__ = ["TrainPanel"]
