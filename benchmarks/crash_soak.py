"""Crash soak: the crash test's checkpointed jobs SIGKILLed many more times.

    python benchmarks/crash_soak.py [--kills 200] [--variant rolling|windowed|both] [--seed 1]

Each run of the job (tests/programs/checkpointed_counts.py: parallelism 2, checkpoints every
200 ms, exactly-once FileSink) is killed after a random delay and restarted from its latest
retained chk-<n>; at the end the committed output is compared with a failure-free run. Prints
the kills, the time taken and any missing or duplicated lines; exits 1 on a difference.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from crash_harness import committed_lines, crash_and_recover, run_to_end  # noqa: E402


def soak(variant: str, kills: int, seed: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="oxflow-soak-") as tmp:
        base = Path(tmp)
        run_to_end(variant, base / "ref" / "out", base / "ref" / "chk")
        expected = committed_lines(base / "ref" / "out")
        start = time.perf_counter()
        killed = crash_and_recover(variant, base / "out", base / "chk", kills=kills, seed=seed)
        got = committed_lines(base / "out")
        missing, extra = expected - got, got - expected
        print("%-8s %4d runs, %4d killed mid-way, %.1f s; missing %d, duplicated %d lines"
              % (variant, kills, killed, time.perf_counter() - start, sum(missing.values()), sum(extra.values())))
        return not missing and not extra


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--variant", choices=["rolling", "windowed", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    variants = ["rolling", "windowed"] if args.variant == "both" else [args.variant]
    ok = all([soak(v, args.kills, args.seed + i) for i, v in enumerate(variants)])
    print("exactly once" if ok else "DIFFERENCES FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
