"""Count differential-fuzzer disagreements over many independent programs, by class.

    python3 -m tests.engine.fuzz_count 3000 [--specials] [--show] [--full]

--show prints the last 12 lines of one program per class; --full prints the whole program
and the first lines of its message (to reproduce it by hand).

Each program is one hypothesis example of test_differential.run_program; a
failure is classified by the first line of its assertion or error message. Not collected by
pytest (no test_ prefix): a hunting tool, not a test.
"""
from __future__ import annotations

import collections
import os
import sys
import warnings


def main(n: int, specials: bool, show: bool = False, full: bool = False) -> None:
    if specials:
        os.environ["GRADCANVAS_FUZZ_SPECIALS"] = "1"
    import torch
    from hypothesis import HealthCheck, given, seed, settings
    from hypothesis import strategies as st

    from tests.engine import test_differential as td

    classes: collections.Counter = collections.Counter()
    examples: dict = {}
    ran = [0]
    lines: list = []
    programs: dict = {}
    messages: dict = {}
    td.note = lines.append  # the program's text, to print one example per class

    # one hypothesis run of n examples; each disagreement is caught and counted, so hypothesis
    # never sees a failure (and never stops or shrinks)
    @seed(0)
    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=["generate"])
    @given(data=st.data())
    def many(data):
        ran[0] += 1
        lines.clear()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                td.run_program(torch, data)
        except Exception as e:  # noqa: BLE001 - every disagreement is counted
            if type(e).__name__ in ("StopTest", "Frozen", "UnsatisfiedAssumption"):
                raise
            msg = str(e).strip().splitlines()
            if not msg:  # a bare assert: name the line that failed
                import traceback
                fr = [f for f in traceback.extract_tb(e.__traceback__)
                      if "test_differential" in f.filename][-1:]
                msg = [f"at test_differential.py:{fr[0].lineno}: {fr[0].line}" if fr else ""]
            key = (type(e).__name__ + ": " + msg[0])[:110]
            classes[key] += 1
            examples.setdefault(key, ran[0])
            programs.setdefault(key, [ln for ln in lines if not ln.startswith("Draw")])
            messages.setdefault(key, msg[:6])

    many()
    n = ran[0]
    total = sum(classes.values())
    print(f"{total} of {n} programs disagreed")
    for k, c in classes.most_common():
        print(f"{c:5d}  first at program {examples[k]:5d}  {k}")
        if show or full:
            shown = programs[k] if full else programs[k][-12:]
            print("\n".join("         " + ln for ln in shown))
        if full:
            print("\n".join("      !  " + ln for ln in messages[k]))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 300, "--specials" in sys.argv, "--show" in sys.argv,
         "--full" in sys.argv)
