"""What the script's source says about its tensors: assignment targets and no_grad blocks.

A recorded call carries the exact span of the expression the script was evaluating (from the
frame's instruction positions); an assignment whose value has that very span names the tensor:
``z = torch.matmul(x, w) + b`` names the add ``z`` (the matmul's span is shorter).
"""
from __future__ import annotations

import ast

_NO_GRAD = ("no_grad", "inference_mode", "set_grad_enabled")


def _span(node) -> tuple:
    return (node.lineno, node.end_lineno, node.col_offset, node.end_col_offset)


class SourceInfo:
    def __init__(self, source: str) -> None:
        self.names: dict[tuple, list] = {}  # value span -> target names (one per output)
        self.no_grad_blocks: list[tuple[int, int]] = []  # (first line, last line)
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                self._target(node.targets[0], node.value)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                self._target(node.target, node.value)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                if any(any(k in ast.unparse(item.context_expr) for k in _NO_GRAD)
                       for item in node.items):
                    self.no_grad_blocks.append((node.lineno, node.end_lineno))

    def _target(self, target, value) -> None:
        if isinstance(target, ast.Name):
            self.names[_span(value)] = [target.id]
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.names[_span(value)] = [e.id if isinstance(e, ast.Name) else None
                                        for e in target.elts]

    def name_for(self, span, index) -> str | None:
        """The variable a call's output was assigned to (``index``: which tuple output)."""
        if span is None:
            return None
        names = self.names.get(tuple(span))
        if not names:
            return None
        if index is None:
            return names[0] if len(names) == 1 else None
        return names[index] if index < len(names) else None

    def no_grad_block(self, line) -> tuple[int, int] | None:
        """The innermost ``with torch.no_grad():`` holding ``line`` (None: none does)."""
        best = None
        for a, b in self.no_grad_blocks:
            if line is not None and a <= line <= b and (best is None or a >= best[0]):
                best = (a, b)
        return best
