"""The main window's docks (palette, inspector, log, history, code) and the chrome an add-on
such as the autograd controls asks for through the host interface (app/autograd/host.py):
actions, a menu, a toolbar, status widgets and docks."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMenu, QTabBar, QUndoView

from engine.document import catalog

from . import actions as _actions
from .files import app_settings
from .log_dock import LogWidget

CODE_DELAY_NODES = 2000
CODE_DELAY_MS = 400


class DocksMixin:
    """Part of MainWindow: building its docks and hosting an add-on's chrome."""

    def _arrange_side_docks(self) -> None:
        """The right column: the inspector and the add-ons' views (backward graph) as tabs,
        the inspector in front, so the selected node's value and .grad get the whole
        height; the bottom docks (log, history, code) get a useful height too."""
        self.inspector_dock.raise_()
        self.resizeDocks([self.log_dock], [max(190, self.height() // 5)],
                         Qt.Orientation.Vertical)

    def _build_docks(self) -> None:
        from widgets.palette import PaletteWidget
        # the side columns run the window's full height; the bottom docks sit under the
        # canvas only (the inspector needs the height more than the log needs the width)
        for corner, area in ((Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                             (Qt.Corner.BottomRightCorner,
                              Qt.DockWidgetArea.RightDockWidgetArea)):
            self.setCorner(corner, area)
        self.palette = PaletteWidget(catalog, self)
        self.palette.setObjectName("palette")
        self.palette.opActivated.connect(self._op_activated)
        self.palette_dock = self._dock("Palette", self.palette,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)

        self.inspector = self._make_inspector()
        self.inspector_dock = self._dock("Inspector", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)

        self.log_widget = LogWidget(self)
        self.log_widget.clear_button.setIcon(_actions.icon("delete"))
        self.log_dock = self._dock("Log", self.log_widget, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.undo_view = QUndoView(self.undo_stack, self)
        self.undo_view.setObjectName("undoView")
        self.undo_view.setEmptyLabel("<opened>")
        self.undo_dock = self._dock("History", self.undo_view,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.log_dock, self.undo_dock)
        self.code_view = self._make_code_view()
        self.code_dock = self._dock("Code", self.code_view,
                                    Qt.DockWidgetArea.BottomDockWidgetArea)
        self.code_dock.visibilityChanged.connect(self.code_view.set_shown)
        self.tabifyDockWidget(self.undo_dock, self.code_dock)
        self.log_dock.raise_()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [210, 360],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.log_dock], [220], Qt.Orientation.Vertical)
        self.popup = self._make_popup()

    def _make_inspector(self):
        from widgets.inspector import InspectorWidget
        w = InspectorWidget(self)
        w.setObjectName("inspector")
        w.paramEdited.connect(self.set_param)
        w.renamed.connect(self.rename_node)
        w.flagEdited.connect(self.set_flag)
        return w

    def _make_code_view(self):
        """The equivalent PyTorch code (brief: bottom panel); rebuilt after each forward, only
        while its tab is shown."""
        from widgets.code_view import CodeView
        w = CodeView(self)
        w.copied.connect(lambda _text: self.status("Copied the PyTorch code", 2000))
        w.set_source(self._code_source)
        # a large document's script takes ~0.5 s to write (10k nodes): while the code tab is
        # shown, it follows a burst of edits once they pause, not inside every edit
        self._code_timer = QTimer(self)
        self._code_timer.setSingleShot(True)
        self._code_timer.setInterval(CODE_DELAY_MS)
        self._code_timer.timeout.connect(w.refresh)
        self.resultsChanged.connect(self._code_changed)
        return w

    def _code_changed(self) -> None:
        if len(self._doc.nodes) >= CODE_DELAY_NODES:
            self.code_view._stale = True  # read now (text(), copy): rebuilt on demand
            self._code_timer.start()
        else:
            self.code_view.refresh()

    def _code_source(self):
        return self._doc, self._results

    def _make_popup(self):
        from widgets.search_popup import OpSearchPopup
        p = OpSearchPopup(catalog, self)
        p.setObjectName("opSearchPopup")
        p.opChosen.connect(self._popup_chosen)
        return p

    def _dock(self, title, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _restore_geometry(self) -> None:
        s = app_settings()
        geo, state = s.value("window/geometry"), s.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)
        self._drop_forgotten_tab_bars()

    def _drop_forgotten_tab_bars(self) -> None:
        """Tabifying a second group of docks while the window is hidden (the inspector and
        the backward graph, once log/history/code are tabs) leaves Qt (6.11) with spare
        copies of the group's tab bar, which it only deleteLater()s. Until the event loop
        turns they show with the window, where the group's bar was when it was built: the
        clipped "Inspe..." over the bottom docks in a 1440x900 screenshot. The layout retires
        the last of them when it is first applied: apply it, then delete them now."""
        self.layout().activate()
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            QCoreApplication.sendPostedEvents(bar, QEvent.Type.DeferredDelete.value)

    def register_actions(self, actions: dict, prefix: str) -> None:
        """An add-on's actions: window shortcuts, Help > Shortcuts and theme re-tinting."""
        for a in actions.values():
            self.addAction(a)
        self.acts.update({f"{prefix}{k}": v for k, v in actions.items()})

    def add_menu(self, menu, before: str = "menu_help") -> None:
        mb = self.menuBar()
        anchor = next((m.menuAction() for m in mb.findChildren(QMenu)
                       if m.objectName() == before), None)
        if anchor is not None:
            mb.insertMenu(anchor, menu)
        else:
            mb.addMenu(menu)

    def add_toolbar(self, title: str, name: str):
        tb = self.addToolBar(title)
        tb.setObjectName(name)
        tb.setMovable(False)
        tb.setIconSize(self.toolbar.iconSize())
        return tb

    def add_status_widget(self, widget) -> None:
        self.statusBar().addPermanentWidget(widget)

    def show_dock(self, title: str, widget, area, *, below_inspector: bool = False):
        """A dock for an add-on's view, listed in View > Panels."""
        dock = self._dock(title, widget, area)
        if below_inspector:  # a tab beside the inspector: each gets the column's height
            self.tabifyDockWidget(self.inspector_dock, dock)
            self.inspector_dock.raise_()
        self.docks_menu.addAction(dock.toggleViewAction())
        return dock
