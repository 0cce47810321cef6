"""Engine benchmarks against torch 2.13 (CPU, 1 thread) and raw NumPy, measured in one run.

    python3 benchmarks/bench_engine.py            # needs torch==2.13.0 for the torch columns

Figures are ratios of best-of-N wall times taken in the same process (these machines are
shared and noisy; ratios from one run are what we compare). Results go in docs/performance.md.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import engine  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - the engine figures still print
    torch = None


def best_of(fn, repeat: int, number: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def chain(lib):
    def run():
        x = lib.ones(16, requires_grad=True)
        h = x
        for _ in range(1000):
            h = lib.tanh(h * 1.01 + 0.1)
        h.sum().backward()
    return run


def two_op_backward(lib):
    a = lib.ones(16, requires_grad=True)

    def setup():
        return (a * 2).sum()

    def run():
        best = float("inf")
        for _ in range(3000):
            y = setup()
            t0 = time.perf_counter()
            y.backward()
            best = min(best, time.perf_counter() - t0)
        return best
    return run


def matmul_fb(lib, n=512):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)
    g_np = rng.standard_normal((n, n), dtype=np.float32)
    a = lib.from_numpy(a_np.copy()).requires_grad_()
    b = lib.from_numpy(b_np.copy()).requires_grad_()
    g = lib.from_numpy(g_np.copy())

    def run():
        a.grad = None
        b.grad = None
        (a @ b).backward(g)
    return run


def numpy_three_gemms(n=512):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    g = rng.standard_normal((n, n), dtype=np.float32)

    def run():
        a @ b
        g @ b.T
        a.T @ g
    return run


def main() -> None:
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}")
    e = best_of(chain(engine), 15)
    line = f"chain 1000x tanh(h*1.01+0.1), 16 values, fwd+bwd: engine {e * 1e3:.2f} ms"
    if torch:
        t = best_of(chain(torch), 15)
        line += f"; torch {t * 1e3:.2f} ms; torch/engine = {t / e:.2f}x"
    print(line)
    e = two_op_backward(engine)()
    line = f"backward() of (a*2).sum(): engine {e * 1e6:.1f} us"
    if torch:
        t = two_op_backward(torch)()
        line += f"; torch {t * 1e6:.1f} us"
    print(line)
    npt = best_of(numpy_three_gemms(), 20)
    e = best_of(matmul_fb(engine), 20)
    line = (f"512x512 float32 matmul fwd+bwd: engine {e * 1e3:.2f} ms; numpy 3 GEMMs "
            f"{npt * 1e3:.2f} ms; engine/numpy = {e / npt:.2f}x")
    if torch:
        t = best_of(matmul_fb(torch), 20)
        line += f"; torch {t * 1e3:.2f} ms"
    print(line)


if __name__ == "__main__":
    main()
