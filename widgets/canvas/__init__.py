"""The node-editor canvas: GraphScene (items following the document), GraphView."""
from .scene import GraphScene
from .view import OP_MIME, GraphView

__all__ = ["GraphScene", "GraphView", "OP_MIME"]
