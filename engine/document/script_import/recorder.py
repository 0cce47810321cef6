"""The child's backward hook: count the script's backward calls, record the requested one.

At the requested call (before it runs, while the graph is whole) the builder writes the
document; the script's backward then runs as usual, and what it added to each leaf's ``.grad``
is kept. When the script is done (or at once, for ``--call N``) the document is run on the
engine by the executor and must give those very gradients and values -- a graph that would not
reproduce the script is an error, never a file.
"""
from __future__ import annotations

import numpy as np

import engine
import engine.autograd as autograd

from .. import fileformat
from ..execution import Executor
from .builder import Builder
from .errors import ScriptImportError, StopScript
from .source import SourceInfo
from .tracer import install

RTOL, ATOL = 1e-4, 1e-5  # float32 noise: the executor reruns the very same engine ops


def _array(t):
    return None if t is None else np.array(t.detach().numpy(), copy=True)


class Recorder:
    def __init__(self, script: str, source: str, call: str, channel) -> None:
        self.script = script
        self.source = SourceInfo(source)
        self.want = call  # "1".."N" or "last"
        self.channel = channel
        self.tracer = install(script)
        self._globals: dict = {}
        self.count = 0
        self.backward_line = None
        self.recorded = None  # (Built, expected grads, backward line, call index)
        self._original = autograd.backward
        autograd.backward = self._backward
        self.grad_line = None  # the first torch.autograd.grad call, for the no-backward message
        original_grad = autograd.grad

        def grad(*args, **kwargs):
            if self.grad_line is None and not self.tracer.paused:
                self.grad_line = self.tracer.where()[0]
            return original_grad(*args, **kwargs)

        autograd.grad = grad

    @property
    def globals(self) -> dict:
        return self._globals

    @globals.setter
    def globals(self, value: dict) -> None:  # the tracer names modules from them too
        self._globals = self.tracer.globals = value

    # -- the hook -----------------------------------------------------------------------------
    def _backward(self, tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                  grad_variables=None, inputs=None):
        tracer = self.tracer
        if tracer.paused or tracer.depth:
            return self._original(tensors, grad_tensors, retain_graph, create_graph,
                                  grad_variables, inputs)
        self.count += 1
        line, _ = tracer.where()
        self.backward_line = line
        self.channel.send("backward", index=self.count, line=line)
        target = self.want == "last" or int(self.want) == self.count
        if not target:
            return self._original(tensors, grad_tensors, retain_graph, create_graph,
                                  grad_variables, inputs)
        roots = [tensors] if isinstance(tensors, engine.Tensor) else list(tensors)
        grads = grad_tensors
        if isinstance(grads, engine.Tensor) or grads is None:
            grads = [grads]
        if len(roots) != 1 or len(list(grads)) != 1:
            raise ScriptImportError("backward() of several roots at once is not imported (a "
                                    "document has one root)", line, "refused")
        if create_graph:
            raise ScriptImportError("backward(create_graph=True) is not imported (gradients "
                                    "of gradients)", line, "refused")
        if inputs is not None:
            raise ScriptImportError("backward(inputs=...) is not imported", line, "refused")
        root, gradient = roots[0], list(grads)[0]
        tracer.paused = True
        try:
            built = Builder(self.source, self._param_names(),
                            getattr(tracer, "module_labels", {})).build(
                root, gradient, bool(retain_graph))
            holders = {nid: built.tensors[nid] for nid in built.leaves + built.retained}
            # values now: an optimizer step later changes the leaves in place
            built.values = {nid: (t.dtype, _array(t)) for nid, t in built.tensors.items()}
            built.tensors = None
            before = {nid: _array(t.grad) for nid, t in holders.items()}
        except ScriptImportError as e:
            if e.line is None:
                e.line = line
            raise
        finally:
            tracer.paused = False
        self._original(tensors, grad_tensors, retain_graph, create_graph, grad_variables,
                       inputs)
        expected = {}
        for nid, t in holders.items():
            after = _array(t.grad)
            if after is None:
                expected[nid] = None
            else:
                expected[nid] = after if before[nid] is None else after - before[nid]
        self.recorded = (built, expected, line, self.count)
        if self.want != "last":
            self.finish()
            raise StopScript()

    def _param_names(self) -> dict:
        """id(parameter) -> ``model.0.weight`` for the modules bound to the script's globals
        (nn.Module.named_parameters); empty while the engine has no nn.Module."""
        module_cls = getattr(engine.nn, "Module", None)
        if module_cls is None:
            return {}
        names = {}
        for var, obj in list(self.globals.items()):
            if isinstance(obj, module_cls) and hasattr(obj, "named_parameters"):
                for path, p in obj.named_parameters():
                    names.setdefault(id(p), f"{var}.{path}")
        return names

    # -- the end ------------------------------------------------------------------------------
    def finish(self) -> None:
        if self.want == "done":
            return
        if self.recorded is None:
            if self.count == 0 and self.grad_line is not None:
                raise ScriptImportError("the script computes gradients with "
                                        "torch.autograd.grad(); only backward() calls are "
                                        "imported", self.grad_line, "no_backward")
            if self.count == 0:
                raise ScriptImportError("the script never calls backward(): there is no graph "
                                        "to import", None, "no_backward")
            raise ScriptImportError(f"the script calls backward() {self.count} time"
                                    f"{'s' if self.count != 1 else ''}; --call {self.want} "
                                    "asks for a later one", None, "no_backward")
        built, expected, line, index = self.recorded
        self.tracer.paused = True
        check(built, expected, line)
        doc = built.doc
        self.channel.send("document", data=fileformat.to_data(doc), call=index, line=line,
                          groups=built.groups,
                          nodes=len(doc.nodes),
                          ops=sum(1 for n in doc.nodes.values() if not n.spec.is_source))
        self.recorded = None
        self.want = "done"  # later backward calls (after --call N) are the script's own


def check(built, expected, line) -> None:
    """Run the document on the engine; its values and leaf gradients must be the script's."""
    doc = built.doc
    ex = Executor(doc)
    results = ex.forward()
    for nid, r in results.items():
        node = doc.nodes[nid]
        if r.value is None:
            raise ScriptImportError(f"the imported graph fails at {node.name}: "
                                    f"{r.error or 'blocked'}", line, "mismatch")
        want = built.values.get(nid)
        if want is not None and not _close(r.value, *want):
            raise ScriptImportError(f"the imported graph computes another value for "
                                    f"{node.name} ({node.op}) than the script", line,
                                    "mismatch")
    err = ex.backward(built.root_id)
    if err:
        raise ScriptImportError(f"the imported graph's backward fails: {err}", line,
                                "mismatch")
    for nid, g in expected.items():
        node = doc.nodes[nid]
        got = results[nid].grad
        if (g is None) != (got is None) or (g is not None and not np.allclose(
                got.numpy(), g, rtol=RTOL, atol=ATOL, equal_nan=True)):
            raise ScriptImportError(f"the imported graph gives {node.name} another gradient "
                                    "than the script's backward", line, "mismatch")


def _close(a, dtype, y) -> bool:
    x = a.detach().numpy()
    if a.dtype != dtype or x.shape != y.shape:
        return False
    if np.array_equal(x, y) or x.dtype.kind in "biu":  # the same engine ops: usually exact
        return bool(np.array_equal(x, y))
    return bool(np.allclose(x, y, rtol=RTOL, atol=ATOL, equal_nan=True))
