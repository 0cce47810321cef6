"""Count differential-fuzzer disagreements over many independent programs, by class.

    python3 -m tests.engine.fuzz_count 3000 [--specials]

Each program is one hypothesis example of test_differential.run_program with its own seed; a
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
    for i in range(n):
        @seed(i)
        @settings(max_examples=1, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), phases=["generate"])
        @given(data=st.data())
        def one(data):
            td.run_program(torch, data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                one()
        except Exception as e:  # noqa: BLE001 - every disagreement is counted
            key = (type(e).__name__ + ": " + str(e).strip().splitlines()[0])[:110]
            classes[key] += 1
            examples.setdefault(key, i)
    total = sum(classes.values())
    print(f"{total} of {n} programs disagreed")
    for k, c in classes.most_common():
        print(f"{c:5d}  seed {examples[k]:5d}  {k}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 300, "--specials" in sys.argv)
