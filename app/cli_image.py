"""``gradcanvas export FILE --to png|svg [-o OUT] [--scale S] [--backward-graph]``: the
canvas (or the recorded backward graph) as a picture, headless. Qt is imported here only;
with no display the offscreen platform is used, so it runs on a server or in CI."""
from __future__ import annotations

import os
from pathlib import Path


def _qt_app():
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is None:
        app = QApplication(["gradcanvas"])
    return app


def cmd_export_image(args, load, cli_error, codes) -> int:
    ok, graph_error, usage = codes
    if args.literal_values:
        raise cli_error("--literal-values only applies to --to torch or --to engine", usage)
    doc = load(args.file)
    out = args.output or str(Path(args.file).with_suffix(f".{args.to}"))
    if Path(out).suffix.lower() != f".{args.to}":
        raise cli_error(f"{out}: the output's suffix must be .{args.to} for --to {args.to}",
                        usage)
    try:
        _qt_app()
        from widgets import theme
        from widgets.canvas import style as _style

        from . import image_export
    except ImportError as e:
        raise cli_error(f"image export needs PySide6 ({e})", usage) from None
    from engine.document.execution import Executor
    before = theme.current_name()
    theme.set_theme("light")  # prints and documents: dark text on white
    _style.rebuild()
    ex = Executor(doc)
    try:
        results = dict(ex.forward())
        scene = _scene(doc, results, args.backward_graph, ex)
        size = image_export.render(scene, out, fmt=args.to, scale=args.scale,
                                   title=Path(args.file).stem)
        scene.deleteLater()
    except image_export.ImageExportError as e:
        raise cli_error(str(e), graph_error if "nothing" in str(e) else usage) from None
    finally:
        ex.close()
        theme.set_theme(before)  # an in-process caller keeps its theme
        _style.rebuild()
    print(f"{out}: {size.width()}x{size.height()} {args.to}")
    return ok


def _scene(doc, results, backward_graph: bool, ex):
    if backward_graph:
        from engine.document import roots
        from widgets.backward_view import BackwardView
        view = BackwardView()
        root = roots.resolve_root(doc, (), results).node_id
        view.set_graph({nid: r.value for nid, r in results.items()},
                       {nid: n.name for nid, n in doc.nodes.items()}, root)
        view._keepalive = view  # the scene belongs to the view
        scene = view.scene()
        scene._view = view
        return scene
    from widgets.canvas import GraphScene
    scene = GraphScene(doc)
    scene.set_results(results)
    return scene
