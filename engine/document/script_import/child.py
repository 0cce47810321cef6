"""The import child: ``python -m engine.document.script_import.child SCRIPT --call N ...``.

Runs the user's script as ``python SCRIPT`` would, with the engine standing in for torch, and
reports on its stdout one JSON object per line (see ``protocol`` in __init__). The script's own
prints travel as ``output`` messages; anything written to the raw file descriptor 1 goes to
stderr so it cannot corrupt the protocol. Limits: RLIMIT_AS for memory, an interval timer for
time (the parent also kills the child a little after the deadline, whatever it is doing).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import traceback


class Channel:
    def __init__(self, fd: int) -> None:
        self._out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(self, event: str, **data) -> None:
        data["event"] = event
        self._out.write(json.dumps(data, allow_nan=True) + "\n")
        self._out.flush()


class _Forward(io.TextIOBase):
    """sys.stdout / sys.stderr of the script: each write becomes an ``output`` message."""

    def __init__(self, channel: Channel, stream: str) -> None:
        self._channel = channel
        self._stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        if text:
            self._channel.send("output", stream=self._stream, text=str(text))
        return len(text)


def _limit_memory(mb: int) -> None:
    if mb <= 0:
        return
    import resource
    limit = mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _script_line(tb, script: str) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == script:
            line = lineno
    return line


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="script_import.child")
    p.add_argument("script")
    p.add_argument("--call", default="1")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--memory-mb", type=int, default=0)
    args = p.parse_args(argv)
    channel = Channel(os.dup(1))
    os.dup2(2, 1)  # raw writes to fd 1 (C code, os.write) land on stderr
    sys.stdout = _Forward(channel, "stdout")
    sys.stderr = _Forward(channel, "stderr")
    from .errors import ScriptImportError
    script = os.path.abspath(args.script)
    try:
        run(script, args, channel)
    except ScriptImportError as e:
        channel.send("error", **e.to_json())
        return 1
    except MemoryError:
        channel.send("error", message=f"out of memory (the import's limit is "
                     f"{args.memory_mb} MB; --memory-limit)", line=None, kind="memory")
        return 1
    return 0


def run(script: str, args, channel: Channel) -> None:
    from .errors import ScriptImportError, ScriptTimeout, StopScript
    channel.send("started", script=script)
    try:
        with open(script, encoding="utf-8") as f:
            source = f.read()
        code = compile(source, script, "exec")
    except SyntaxError as e:
        raise ScriptImportError(f"SyntaxError: {e.msg}", e.lineno, "syntax") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ScriptImportError(f"cannot read the script: {e}", None, "script") from None
    _limit_memory(args.memory_mb)
    import warnings
    # numpy's floating-point notes ("invalid value encountered in log") are the engine's
    # internals: torch prints nothing for log(-1), as `gradcanvas run` does not
    warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning)
    from . import aliases, recorder
    aliases.install()
    rec = recorder.Recorder(script, source, args.call, channel)

    def on_alarm(signum, frame):
        raise ScriptTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    if args.timeout > 0:
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(script))
    globs = {"__name__": "__main__", "__file__": script, "__builtins__": __builtins__}
    rec.globals = globs
    status = None
    try:
        exec(code, globs)  # noqa: S102 - running the user's script is this command's job
    except StopScript:
        pass
    except ScriptTimeout:
        raise ScriptImportError(f"timed out after {args.timeout:g} s (--timeout)",
                                _script_line(sys.exc_info()[2], script), "timeout") from None
    except ScriptImportError as e:
        if e.line is None:
            e.line = rec.backward_line
        raise
    except SystemExit as e:
        status = e.code
        if status not in (None, 0):
            raise ScriptImportError(f"the script exited with status {status}",
                                    _script_line(sys.exc_info()[2], script), "exit") from None
    except MemoryError:
        raise ScriptImportError(
            f"out of memory (the import's limit is {args.memory_mb} MB; --memory-limit)",
            _script_line(sys.exc_info()[2], script), "memory") from None
    except BaseException as e:  # the script's own error, as python would report it
        raise ScriptImportError(_describe(e), _script_line(sys.exc_info()[2], script),
                                "script") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    rec.finish()


def _describe(e: BaseException) -> str:
    import engine
    if isinstance(e, AttributeError) and getattr(e, "obj", None) is not None:
        obj = e.obj
        mod = getattr(obj, "__name__", "")
        if isinstance(obj, type(engine)) and mod.startswith("engine"):
            where = "torch" + mod[len("engine"):]
            return f"{where}.{e.name} is not available in GradCanvas's engine"
        if isinstance(obj, engine.Tensor):
            return f"Tensor.{e.name} is not available in GradCanvas's engine"
    if isinstance(e, ModuleNotFoundError) and (e.name or "").startswith("torch"):
        return f"{e.name} is not available in GradCanvas's engine"
    return f"{type(e).__name__}: {e}"


if __name__ == "__main__":
    sys.exit(main())
