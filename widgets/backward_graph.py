"""What the backward-graph view draws, without Qt: the walk of `grad_fn.next_functions`,
stable keys for its boxes, the level-of-detail cut and the layered layout.

Every forward records new grad_fn objects (as in PyTorch), so a box cannot be known by its
grad_fn's identity across updates. It is known by a *key* derived from the document instead:
``("root", doc_id)``, ``("fn", doc_id)`` for a tensor's own grad_fn, ``("acc", doc_id)`` for a
leaf's AccumulateGrad, ``("leaf", doc_id)``, and for internal grad_fns (MmBackward0 under
matmul's SqueezeBackward4) the key of the box that first reaches it plus the edge index. Two
walks of the same graph structure give the same keys, so the view can keep every item whose key
is unchanged and only create, remove or re-label what changed.

Large graphs are cut: `select` keeps at most `limit` grad_fns in breadth-first order from the
roots (the root's neighbourhood first), plus what the user expanded, and counts the hidden
successors of every shown box so the view can say "showing 2,000 of 13,986 grad_fns".
"""
from __future__ import annotations

from collections import deque

LAYER_GAP = 26.0  # compact: the view usually lives in a small dock
H_GAP = 22.0


def fn_name(fn) -> str:
    """torch's grad_fn class name (AccumulateGrad, not torch::autograd::AccumulateGrad)."""
    return type(fn).__name__


def shape_text(t) -> str:
    """torchviz's size_to_str: (5, 3)."""
    return "(" + ", ".join(str(int(s)) for s in t.shape) + ")"


class Box:
    """One box of the backward graph; `kind` is "fn" (a grad_fn, AccumulateGrad included),
    "leaf" or "root". `succ` lists the successor keys in next_functions order (repeated for a
    repeated input: mul(x, x))."""

    __slots__ = ("key", "kind", "title", "subtitle", "doc_id", "fn", "tensor", "succ", "rank",
                 "fn_index")

    def __init__(self, key, kind, title, subtitle, doc_id, fn=None, tensor=None) -> None:
        self.key, self.kind, self.title, self.subtitle = key, kind, title, subtitle
        self.doc_id, self.fn, self.tensor = doc_id, fn, tensor
        self.succ: list = []
        self.rank = 0  # breadth-first order from the roots
        self.fn_index = -1  # among the grad_fns only


class BackwardGraph:
    """The walked graph: `boxes` {key: Box} in breadth-first order from the roots. A walk
    stopped at `stop` grad_fns (`partial`) has boxes for those, their successors and leaves
    only; `n_fns` still counts every reachable grad_fn."""

    def __init__(self) -> None:
        self.boxes: dict = {}
        self.by_fn: dict[int, object] = {}  # id(grad_fn) -> key (the boxes keep fns alive)
        self.by_doc: dict[str, list] = {}  # doc node id -> its keys
        self.n_fns = 0
        self.n_boxed_fns = 0
        self.partial = False

    def _add(self, box: Box) -> Box:
        box.rank = len(self.boxes)
        self.boxes[box.key] = box
        if box.kind == "fn":
            box.fn_index = self.n_boxed_fns
            self.n_boxed_fns += 1
            self.by_fn[id(box.fn)] = box.key
        if box.doc_id is not None:
            self.by_doc.setdefault(box.doc_id, []).append(box.key)
        return box

    def anchor(self, key):
        """The grad_fn key that shows `key`: itself, a root's grad_fn, a leaf's
        AccumulateGrad (whose successor it is)."""
        b = self.boxes.get(key)
        if b is None or b.kind == "fn":
            return key if b is not None else None
        if b.kind == "root":
            return b.succ[0]
        if b.doc_id is None:  # ("leaf", AccumulateGrad key)
            return key[1]
        return next((k for k in self.by_doc.get(b.doc_id, ()) if k[0] == "acc"), None)


def _reachable(fns) -> set[int]:
    """ids of every grad_fn reachable from `fns` through next_functions (not `fns` itself,
    unless another one reaches it)."""
    out: set[int] = set()
    stack = list(fns)
    while stack:
        fn = stack.pop()
        for nxt, _ in fn.next_functions:
            if nxt is not None and id(nxt) not in out:
                out.add(id(nxt))
                stack.append(nxt)
    return out


def walk(values: dict, names: dict | None = None, root: str | None = None,
         stop: int | None = None) -> BackwardGraph:
    """The backward graph of `values` {doc node id: Tensor | None}: with `root`, only what
    backward from that node reaches; else every recorded graph (roots = tensors no other
    tensor's graph consumes). `names` {doc id: variable name} labels the boxes. With `stop`,
    only the first `stop` grad_fns (breadth-first) are expanded: the cost of an update is
    bounded by what the level-of-detail cut draws, not by the graph (the rest is counted)."""
    names = names or {}
    g = BackwardGraph()
    tensors = {k: v for k, v in values.items() if v is not None}
    owner_of_fn: dict[int, str] = {}
    owner_of_var: dict[int, str] = {}
    for doc_id, t in tensors.items():
        if t.grad_fn is not None:
            owner_of_fn.setdefault(id(t.grad_fn), doc_id)
        elif t._requires_grad:
            owner_of_var.setdefault(id(t), doc_id)
    if root is not None:
        t = tensors.get(root)
        starts = [root] if t is not None and t.grad_fn is not None else []
    else:
        consumed = _reachable([t.grad_fn for t in tensors.values() if t.grad_fn is not None])
        starts = [d for d, t in tensors.items()
                  if t.grad_fn is not None and id(t.grad_fn) not in consumed
                  and owner_of_fn.get(id(t.grad_fn)) == d]

    def fn_box(fn, owner, parent_key, index) -> Box:
        key = g.by_fn.get(id(fn))
        if key is not None:
            return g.boxes[key]
        leaf = getattr(fn, "variable", None)
        sub = ""
        if leaf is not None:
            owner = owner_of_var.get(id(leaf))
            key = ("acc", owner) if owner is not None else (parent_key, index)
        elif owner_of_fn.get(id(fn)) is not None:
            owner = owner_of_fn[id(fn)]
            key = ("fn", owner)
            sub = names.get(owner, owner)  # the doc variable this grad_fn produced
        else:  # internal: belongs to the node whose grad_fn reaches it first
            key = (parent_key, index)
        return g._add(Box(key, "fn", fn_name(fn), sub, owner, fn=fn))

    queue: deque = deque()
    for doc_id in starts:
        t = tensors[doc_id]
        rbox = g._add(Box(("root", doc_id), "root", names.get(doc_id, doc_id), shape_text(t),
                          doc_id, tensor=t))
        fbox = fn_box(t.grad_fn, doc_id, rbox.key, 0)
        rbox.succ.append(fbox.key)
        if fbox.rank == len(g.boxes) - 1:
            queue.append(fbox)
    while queue:  # breadth-first: an internal grad_fn inherits its first parent's node
        box = queue.popleft()
        if stop is not None and box.fn_index >= stop:  # the rest of the queue too (FIFO)
            queue.appendleft(box)
            g.partial = True
            break
        for i, (nxt, _) in enumerate(box.fn.next_functions):
            if nxt is None:
                continue
            known = id(nxt) in g.by_fn
            nbox = fn_box(nxt, box.doc_id, box.key, i)
            box.succ.append(nbox.key)
            if known:
                continue
            queue.append(nbox)
            leaf = getattr(nxt, "variable", None)
            if leaf is not None:
                vid = owner_of_var.get(id(leaf))
                label = names.get(vid, vid) if vid is not None else ""
                lkey = ("leaf", vid) if vid is not None else ("leaf", nbox.key)
                g._add(Box(lkey, "leaf", label or shape_text(leaf),
                           shape_text(leaf) if label else "", vid, tensor=leaf))
                nbox.succ.append(lkey)
    g.n_fns = g.n_boxed_fns
    if g.partial:  # count what is beyond the frontier, by identity only
        seen = set(g.by_fn)
        stack = [b.fn for b in queue]
        while stack:
            fn = stack.pop()
            for nxt, _ in fn.next_functions:
                if nxt is not None and id(nxt) not in seen:
                    seen.add(id(nxt))
                    stack.append(nxt)
        g.n_fns = len(seen)
    return g


def select(g: BackwardGraph, limit: int | None, pinned=()) -> tuple[list, dict]:
    """The keys to draw: the first `limit` grad_fns in breadth-first order (None: all), the
    `pinned` grad_fns and the grad_fn successors of each (an "expand" on a box), and with
    every shown grad_fn its leaf box, with every root box whose grad_fn is shown. Returns
    (keys in rank order, {key: number of hidden distinct successors}), counting only boxes
    with hidden successors."""
    boxes = g.boxes
    if limit is None or g.n_fns <= limit:
        shown = set(boxes)
    else:
        shown = set()
        n = 0
        for key, b in boxes.items():
            if b.kind == "fn":
                shown.add(key)
                n += 1
                if n >= limit:
                    break
        for key in pinned:
            b = boxes.get(key)
            if b is None or b.kind != "fn":
                continue
            shown.add(key)
            shown.update(s for s in b.succ if boxes[s].kind == "fn")
        for key in list(shown):  # a leaf box hangs under its AccumulateGrad
            shown.update(s for s in boxes[key].succ if boxes[s].kind == "leaf")
        for key, b in boxes.items():  # a root box stands above its grad_fn
            if b.kind == "root" and b.succ[0] in shown:
                shown.add(key)
    hidden = {}
    for key in shown:
        n = sum(1 for s in set(boxes[key].succ) if s not in shown)
        if n:
            hidden[key] = n
    keys = sorted(shown, key=lambda k: boxes[k].rank)
    return keys, hidden


def layout(g: BackwardGraph, keys: list, size) -> dict:
    """{key: (x, y)} centre positions of the boxes `keys` (rank order), `size(key)` giving
    (w, h). Layers are the topological generations, root on top. Within a layer, boxes are
    ordered by the mean position of their parents and placed as close to it as the gaps allow
    (a box with one parent sits right under it), then the layer is shifted so that the boxes
    are, on average, where their parents want them."""
    boxes = g.boxes
    shown = set(keys)
    pred: dict = {k: [] for k in keys}
    indeg = dict.fromkeys(keys, 0)
    succ: dict = {}
    for k in keys:
        outs = list(dict.fromkeys(s for s in boxes[k].succ if s in shown))
        succ[k] = outs
        for s in outs:
            pred[s].append(k)
            indeg[s] += 1
    rank = {k: boxes[k].rank for k in keys}
    pos: dict = {}
    xpos: dict = {}
    y = 0.0
    layer = [k for k in keys if indeg[k] == 0]
    while layer:
        want = {}
        for k in layer:
            ps = [xpos[p] for p in pred[k] if p in xpos]
            want[k] = sum(ps) / len(ps) if ps else None
        layer = sorted(layer, key=lambda k: (want[k] if want[k] is not None else -1e9,
                                             rank[k]))
        xs, prev_w = [], None
        for k in layer:
            w = size(k)[0]
            x = want[k] if want[k] is not None else -1e18
            if prev_w is not None:
                x = max(x, xs[-1] + prev_w / 2 + H_GAP + w / 2)
            elif want[k] is None:
                x = 0.0
            xs.append(x)
            prev_w = w
        wanted = [(want[k], x) for k, x in zip(layer, xs) if want[k] is not None]
        if wanted:
            shift = sum(w - x for w, x in wanted) / len(wanted)
        else:  # a layer of roots: centred on 0
            shift = -(xs[0] - size(layer[0])[0] / 2 + xs[-1] + size(layer[-1])[0] / 2) / 2
        h = max(size(k)[1] for k in layer)
        for k, x in zip(layer, xs):
            pos[k] = (x + shift, y + h / 2)
            xpos[k] = x + shift
        y += h + LAYER_GAP
        nxt = []
        for k in layer:
            for s in succ[k]:
                indeg[s] -= 1
                if indeg[s] == 0:
                    nxt.append(s)
        layer = nxt
    return pos


def edges(g: BackwardGraph, keys: list) -> list[tuple]:
    """(src key, dst key, k, n) for every drawn arrow between shown boxes: the k-th of n
    parallel edges (mul(x, x) has two next_functions to one AccumulateGrad)."""
    shown = set(keys)
    out = []
    for k in keys:
        counts: dict = {}
        for s in g.boxes[k].succ:
            if s in shown:
                counts[s] = counts.get(s, 0) + 1
        for s, n in counts.items():
            out.extend((k, s, i, n) for i in range(n))
    return out
