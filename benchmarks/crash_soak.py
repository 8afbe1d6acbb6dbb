"""Crash soak: the crash test's checkpointed jobs SIGKILLed many more times.

    python benchmarks/crash_soak.py [--cycles 10] [--kills 20] [--variant rolling|windowed|both] [--seed 1]

A cycle runs the job (tests/programs/checkpointed_counts.py: parallelism 2, checkpoints every
200 ms, exactly-once FileSink) from scratch; each run is killed after a random delay and
restarted from its latest retained chk-<n>, `--kills` times, then it finishes and its committed
output is compared with a failure-free run. Prints per cycle the runs killed mid-way, the time
and any missing or duplicated lines; exits 1 on a difference.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from crash_harness import committed_lines, crash_and_recover, run_to_end  # noqa: E402


def soak(variant: str, cycles: int, kills: int, seed: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="oxflow-soak-") as tmp:
        base = Path(tmp)
        run_to_end(variant, base / "ref" / "out", base / "ref" / "chk")
        expected = committed_lines(base / "ref" / "out")
        ok, total = True, 0
        for cycle in range(cycles):
            start = time.perf_counter()
            out, chk = base / ("out-%d" % cycle), base / ("chk-%d" % cycle)
            killed = crash_and_recover(variant, out, chk, kills=kills, seed=seed * 1000 + cycle)
            total += killed
            got = committed_lines(out)
            missing, extra = expected - got, got - expected
            ok = ok and not missing and not extra
            print("%-8s cycle %3d: %3d runs, %3d killed mid-way, %.1f s; missing %d, duplicated %d lines"
                  % (variant, cycle, kills, killed, time.perf_counter() - start, sum(missing.values()), sum(extra.values())), flush=True)
        print("%-8s %d kills mid-way in %d cycles" % (variant, total, cycles))
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--kills", type=int, default=20, help="runs per cycle")
    parser.add_argument("--variant", choices=["rolling", "windowed", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    variants = ["rolling", "windowed"] if args.variant == "both" else [args.variant]
    ok = all([soak(v, args.cycles, args.kills, args.seed + i) for i, v in enumerate(variants)])
    print("exactly once" if ok else "DIFFERENCES FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
