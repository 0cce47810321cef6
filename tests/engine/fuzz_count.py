"""Count differential-fuzzer disagreements over many independent programs, by class.

    python3 -m tests.engine.fuzz_count 3000 [--specials]

Each program is one hypothesis example of test_differential.run_program; a
failure is classified by the first line of its assertion or error message. Not collected by
pytest (no test_ prefix): a hunting tool, not a test.
"""
from __future__ import annotations

import collections
import os
import sys
import warnings


def main(n: int, specials: bool) -> None:
    if specials:
        os.environ["GRADCANVAS_FUZZ_SPECIALS"] = "1"
    import torch
    from hypothesis import HealthCheck, given, seed, settings
    from hypothesis import strategies as st

    from tests.engine import test_differential as td

    classes: collections.Counter = collections.Counter()
    examples: dict = {}
    ran = [0]

    # one hypothesis run of n examples; each disagreement is caught and counted, so hypothesis
    # never sees a failure (and never stops or shrinks)
    @seed(0)
    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=["generate"])
    @given(data=st.data())
    def many(data):
        ran[0] += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                td.run_program(torch, data)
        except Exception as e:  # noqa: BLE001 - every disagreement is counted
            if type(e).__name__ in ("StopTest", "Frozen", "UnsatisfiedAssumption"):
                raise
            lines = str(e).strip().splitlines() or [""]
            key = (type(e).__name__ + ": " + lines[0])[:110]
            classes[key] += 1
            examples.setdefault(key, ran[0])

    many()
    n = ran[0]
    total = sum(classes.values())
    print(f"{total} of {n} programs disagreed")
    for k, c in classes.most_common():
        print(f"{c:5d}  first at program {examples[k]:5d}  {k}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 300, "--specials" in sys.argv)
