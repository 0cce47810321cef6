"""``gradcheck`` / ``gradgradcheck``: torch's slow mode (full Jacobians, central differences).

The numerical Jacobian perturbs each input element in place by +-eps and takes
``(f(x+eps) - f(x-eps)) / 2eps``; the analytical one is built row by row from
``autograd.grad`` with unit grad_outputs. Texts are torch.autograd.gradcheck's.
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck (a RuntimeError, as in torch)."""


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x) -> bool:
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def _check_inputs(inputs) -> None:
    any_rg = False
    for idx, inp in enumerate(inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if inp._data.dtype != np.float64:
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating "
                    "point or complex. This check will likely fail if all the inputs are not "
                    "of double precision floating point or complex. ", stacklevel=3)
            any_rg = True
    if not any_rg:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True.")


def _outputs_array(out):
    """Every output of ``func`` as float64 ndarrays (integer outputs included, as torch)."""
    return [np.array(o._data, dtype=np.float64) for o in _as_tuple(out) if _is_tensor(o)]


def _numerical_jacobians(func, inputs, eps):
    """jac[j][i]: d output i / d input j, shaped (input j numel, output i numel)."""
    outs = _outputs_array(func(*inputs))
    result = []
    for inp in inputs:
        if not (_is_tensor(inp) and inp.requires_grad):
            continue
        jac = [np.zeros((inp._data.size, o.size)) for o in outs]
        data = inp._data  # perturbed in place, as torch does
        for k, idx in enumerate(np.ndindex(data.shape)):
            orig = data[idx].item()
            data[idx] = orig - eps
            outa = _outputs_array(func(*inputs))
            data[idx] = orig + eps
            outb = _outputs_array(func(*inputs))
            data[idx] = orig
            for i, (a, b) in enumerate(zip(outa, outb)):
                jac[i][k] = ((b - a) / (2 * eps)).reshape(-1)
        result.append(jac)
    return result


def _analytical_jacobian(inputs, output, nondet_tol):
    from .._tensor import Tensor
    from . import grad as autograd_grad
    diff_inputs = [t for t in inputs if _is_tensor(t) and t.requires_grad]

    def rows():
        jac = [np.zeros((t._data.size, output._data.size)) for t in diff_inputs]
        sizes_ok = True
        flat_out = output._data.size
        for k in range(flat_out):
            v = np.zeros(flat_out, dtype=output._data.dtype)
            v[k] = 1
            g = Tensor._make(v.reshape(output._data.shape))
            grads = autograd_grad(output, diff_inputs, g, retain_graph=True, allow_unused=True)
            for j, (t, d) in enumerate(zip(diff_inputs, grads)):
                if d is None:
                    continue
                if d._data.size != t._data.size:
                    sizes_ok = False
                    continue
                jac[j][:, k] = np.asarray(d._data, dtype=np.float64).reshape(-1)
        return jac, sizes_ok

    jac1, sizes_ok = rows()
    jac2, _ = rows()
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    for a, b in zip(jac1, jac2):
        if a.size and np.abs(a - b).max() > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                "gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}." + _NONDET_MSG)
    return jac1


_NONDET_MSG = """

NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def _tensor(a):
    from .._tensor import Tensor
    return Tensor._make(np.ascontiguousarray(a))


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = _as_tuple(func(*inputs))
    outputs = [o for o in func_out if _is_tensor(o) and o.requires_grad]
    numerical = _numerical_jacobians(func, inputs, eps)
    if not outputs:
        for jacs in numerical:
            for jac in jacs:
                if np.count_nonzero(jac):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    tensor_outs = [o for o in func_out if _is_tensor(o)]
    for i, o in enumerate(outputs):
        oi = next(k for k, t in enumerate(tensor_outs) if t is o)
        analytical = _analytical_jacobian(inputs, o, nondet_tol)
        for j, a in enumerate(analytical):
            n = numerical[j][oi]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
                    f"numerical:{_tensor(n)!r}\nanalytical:{_tensor(a)!r}\n")
    return True


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """Check analytical gradients of ``func`` at ``inputs`` against central differences."""
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the gradients themselves (backward recorded with create_graph=True)."""
    from .._tensor import Tensor
    from . import grad as autograd_grad
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        # torch draws random grad_outputs in [-1, 1) (make_tensor); so does the engine
        from .._random import default_generator
        outs = [o for o in _as_tuple(func(*inputs)) if _is_tensor(o) and o.requires_grad]
        grad_outputs = tuple(
            Tensor._make(default_generator.uniform(
                o._data.shape, -1.0, 1.0,
                o._data.dtype if o._data.dtype.kind == "f" else np.dtype(np.float64)),
                True)
            for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_out = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad}

    def new_func(*args):
        ins = args[:-n_out] if n_out else args
        outs = [o for o in _as_tuple(func(*ins)) if _is_tensor(o) and o.requires_grad]
        diff_args = [x for i, x in enumerate(ins) if i in diff_in]
        gi = autograd_grad(outs, diff_args, list(args[-n_out:]) if n_out else None,
                           create_graph=True, allow_unused=True)
        return tuple(g for g in gi if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
