"""Engine benchmarks against torch 2.13 (CPU, 1 thread) and raw NumPy, measured in one run.

    python3 benchmarks/bench_engine.py [repeat]   # needs torch==2.13.0 for the torch columns

Figures are ratios of best-of-N wall times taken in the same process, the contenders taking
turns (these machines are shared and noisy; ratios from one run are what we compare). Results
go in docs/performance.md.
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


def mlp_graph(lib, layers=333, width=32, batch=8):
    """~1000 recorded nodes of MLP-like work: relu(h @ W + b), repeated (4 shared layers)."""
    rng = np.random.default_rng(0)
    ws = [lib.from_numpy((rng.standard_normal((width, width)) / width ** 0.5)
                         .astype(np.float32)).requires_grad_() for _ in range(4)]
    bs = [lib.zeros(width, requires_grad=True) for _ in range(4)]
    x = lib.from_numpy(rng.standard_normal((batch, width)).astype(np.float32))

    def run():
        for p in ws + bs:
            p.grad = None
        h = x
        for i in range(layers):
            h = lib.relu(h @ ws[i % 4] + bs[i % 4])
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


def nn_mlp_step(lib, loss="mse", batch=16):
    """nn.Sequential of three nn.Linear (32-64-64-10) with ReLU and MSELoss or
    CrossEntropyLoss: zero_grad + forward + backward, 20 steps on one small batch."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((batch, 32)).astype(np.float32))
    if loss == "mse":
        loss_fn = nn.MSELoss()
        y = lib.from_numpy(rng.standard_normal((batch, 10)).astype(np.float32))
    else:
        loss_fn = nn.CrossEntropyLoss()
        y = lib.from_numpy(rng.integers(0, 10, batch))

    def run():
        for _ in range(20):
            model.zero_grad()
            loss_fn(model(x), y).backward()
    return run


def conv_step(lib, n=8, c=16, hw=32, o=32):
    """Conv2d(c, o, 3, padding=1) -> ReLU -> MaxPool2d(2) on (n, c, hw, hw): fwd + bwd."""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(c, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((n, c, hw, hw))
                       .astype(np.float32)).requires_grad_()

    def run():
        model.zero_grad()
        x.grad = None
        model(x).sum().backward()
    return run


def numpy_conv_floor(n=8, c=16, hw=32, o=32):
    """The NumPy floor of an im2col conv: the window matrix copy and its three GEMMs
    (forward, weight gradient, input-gradient columns)."""
    from numpy.lib.stride_tricks import sliding_window_view
    rng = np.random.default_rng(0)
    x = np.pad(rng.standard_normal((n, c, hw, hw)).astype(np.float32),
               ((0, 0), (0, 0), (1, 1), (1, 1)))
    w = rng.standard_normal((o, c, 3, 3)).astype(np.float32)
    g = rng.standard_normal((n, o, hw, hw)).astype(np.float32)

    wm = w.reshape(o, -1)
    gm = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, o)

    def run():
        cols = np.ascontiguousarray(sliding_window_view(x, (3, 3), axis=(2, 3))
                                    .transpose(0, 2, 3, 1, 4, 5)).reshape(-1, c * 9)
        cols @ wm.T
        gm.T @ cols
        gm @ wm
    return run


def module_call(lib):
    """1000 calls of nn.Identity on a tensor: the cost of Module.__call__ itself."""
    m = lib.nn.Identity()
    x = lib.ones(2)

    def run():
        for _ in range(1000):
            m(x)
    return run


def interleaved(fns: dict, repeat: int) -> dict:
    """Best-of-``repeat`` time of each function, run in turns (A, B, C, A, B, C...) so that
    load from other processes on this shared machine hits all of them alike."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def _libs(make) -> dict:
    fns = {"engine": make(engine)}
    if torch:
        fns["torch"] = make(torch)
    return fns


def _line(label: str, r: dict, unit=1e3, suffix="ms") -> str:
    line = f"{label}: engine {r['engine'] * unit:.2f} {suffix}"
    if "torch" in r:
        line += (f"; torch {r['torch'] * unit:.2f} {suffix}; "
                 f"torch/engine = {r['torch'] / r['engine']:.2f}x")
    return line


def main(repeat: int = 25) -> None:
    print(f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}")
    r = interleaved(_libs(chain), repeat)
    print(_line("chain 1000x tanh(h*1.01+0.1), 16 values, fwd+bwd", r))
    r = interleaved(_libs(mlp_graph), repeat)
    print(_line("MLP-like graph, 333x relu(h @ W + b), 8x32 (~1000 nodes), fwd+bwd", r))
    for loss in ("mse", "ce"):
        r = interleaved(_libs(lambda lib, loss=loss: nn_mlp_step(lib, loss)), repeat)
        print(_line(f"nn.Linear MLP 32-64-64-10, batch 16, {loss} loss, 20x zero_grad+fwd+bwd",
                    r))
    fns = _libs(conv_step)
    fns["numpy"] = numpy_conv_floor()
    r = interleaved(fns, max(3, repeat // 5))
    print(_line("Conv2d(16, 32, 3, padding=1)+ReLU+MaxPool2d(2), 8x16x32x32, fwd+bwd", r)
          + f"; numpy im2col contractions {r['numpy'] * 1e3:.2f} ms; engine/numpy = "
          f"{r['engine'] / r['numpy']:.2f}x")
    r = interleaved(_libs(module_call), repeat)
    print(_line("Module.__call__ (nn.Identity), per call", r, 1e3, "us"))
    r = {k: fn() for k, fn in _libs(two_op_backward).items()}
    print(_line("backward() of (a*2).sum() (best of 3000)", r, 1e6, "us"))
    fns = _libs(matmul_fb)
    fns["numpy"] = numpy_three_gemms()
    r = interleaved(fns, repeat)
    print(_line("512x512 float32 matmul fwd+bwd", r)
          + f"; numpy 3 GEMMs {r['numpy'] * 1e3:.2f} ms; engine/numpy = "
          f"{r['engine'] / r['numpy']:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 25)
