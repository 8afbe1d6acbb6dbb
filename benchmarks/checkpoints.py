#!/usr/bin/env python3
"""Fault-tolerance benchmark (issue 4, Performance): the cost of checkpoints and of RocksDB.

    python benchmarks/checkpoints.py [--events N] [--keys K] [--updates U] [--repeat R]
        [--variant a|b] [--skip-throughput] [--skip-native]

Figures, all from one run:
  1. Throughput of the windowed benchmark pipeline (benchmarks/windowed.py's data and
     pipeline: N events, 1000 keys, 1-second event-time tumbling windows, variant (a) the
     built-in window sum or (b) a Python reduce), with checkpoints every 1 s vs none, with the
     memory (hashmap) and the RocksDB backend (incremental checkpoints). Bar: with checkpoints
     at least 95% of the throughput without, per backend. Best of R runs each.
  2. Checkpoint duration and size with K keys (default 1M) in one keyed operator's value state,
     memory vs RocksDB incremental vs RocksDB full: the first checkpoint, and a second one after
     updating 1% of the keys (incremental: only the new SST files are stored).
  3. RocksDB keyed ValueState updates per second with K keys (U random updates) through a
     native operator: the rolling reduce (`KeyedStream.reduce` with a native sum), fed record
     batches of 1024 as the runtime feeds it; each update reads the key's value, adds to it and
     emits the new value. Bar: >= 500K/s.
  4. Recovery time from the K-key checkpoint (the second one of 2), both backends.

2-4 run the Rust example `rust/state-rocksdb/examples/state_figures.rs` through
`cargo run --release` (with CARGO_TARGET_DIR if set). Bars print PASS/FAIL; the script exits 0.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from windowed import EventTimestamps, OUT_OF_ORDERNESS_MS, key, make_events, red  # noqa: E402


def run_pipeline(events, variant, backend, checkpoint_ms, checkpoint_dir):
    """Seconds to run the windowed pipeline over `events` and collect its results."""
    from oxflow.common import Configuration
    from oxflow.common.time import Duration, Time
    from oxflow.common.typeinfo import Types
    from oxflow.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
    from oxflow.datastream import StreamExecutionEnvironment
    from oxflow.datastream.window import TumblingEventTimeWindows

    class TS(EventTimestamps, TimestampAssigner):
        pass

    conf = Configuration()
    conf.set_string("state.backend.type", backend)
    conf.set_string("execution.checkpointing.dir", checkpoint_dir)
    t0 = time.perf_counter()
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(1)
    if checkpoint_ms:
        env.enable_checkpointing(checkpoint_ms)
    ds = env.from_collection(events, type_info=Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()]))
    ds = ds.assign_timestamps_and_watermarks(
        WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(OUT_OF_ORDERNESS_MS)).with_timestamp_assigner(TS()))
    w = ds.key_by(key).window(TumblingEventTimeWindows.of(Time.seconds(1)))
    ds = w.sum(1) if variant == "a" else w.reduce(red)
    result = list(ds.execute_and_collect())
    seconds = time.perf_counter() - t0
    completed = sum(1 for _ in _checkpoints(checkpoint_dir))
    return seconds, len(result), completed


def _checkpoints(base):
    """Every chk-<n> directory ever written under `base` (retained or not, none if deleted)."""
    for job in os.listdir(base) if os.path.isdir(base) else []:
        for name in os.listdir(os.path.join(base, job)):
            if name.startswith("chk-"):
                yield name


def throughput(args):
    events = make_events(args.events)
    rows = []
    for backend in ("hashmap", "rocksdb"):
        best = {}
        for checkpoint_ms in (0, 1000):
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory() as d:
                    seconds, results, left = run_pipeline(events, args.variant, backend, checkpoint_ms, d)
                best[checkpoint_ms] = min(best.get(checkpoint_ms, seconds), seconds)
        rows.append((backend, args.events / best[0], args.events / best[1000], best[1000], left))
    return rows


def cargo_example(*example_args):
    """Runs the state_figures example; returns its JSON lines."""
    command = ["cargo", "run", "--quiet", "--release", "-p", "oxflow-state-rocksdb", "--example", "state_figures", "--", *example_args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (" ".join(command), done.stderr[-3000:]))
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def mb(n):
    return "%.1f MB" % (n / 1e6)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--variant", choices=["a", "b"], default="a")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--updates", type=int, default=2_000_000)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-native", action="store_true")
    args = ap.parse_args()
    bars = []

    if not args.skip_throughput:
        print("1. Windowed pipeline (variant %s, %d events, parallelism 1): checkpoints every 1 s vs none" % (args.variant, args.events))
        print("   %-8s %14s %14s %8s" % ("backend", "no ckpt ev/s", "1 s ckpt ev/s", "ratio"))
        for backend, without, with_, seconds, left in throughput(args):
            ratio = with_ / without
            print("   %-8s %14.0f %14.0f %7.1f%%  (%.2f s with checkpoints, %d chk-<n> left)" % (backend, without, with_, 100 * ratio, seconds, left))
            bars.append(("throughput with 1 s checkpoints >= 95%% of none (%s)" % backend, ratio >= 0.95, "%.1f%%" % (100 * ratio)))
        print()

    if not args.skip_native:
        print("2. Checkpoints of %d keys (one keyed operator, value state), and 4. recovery from the second" % args.keys)
        print("   %-20s %10s %11s %11s %11s %10s" % ("backend", "1st time", "1st size", "2nd time", "2nd size", "restore"))
        for f in cargo_example("checkpoints", str(args.keys)):
            print("   %-20s %9.3fs %11s %10.3fs %11s %9.3fs" % (
                f["backend"], f["first_seconds"], mb(f["first_bytes"]), f["second_seconds"], mb(f["second_bytes"]), f["restore_seconds"]))
            if f["backend"] == "rocksdb-incremental":
                bars.append(("incremental: 2nd checkpoint (1% updated) < 1/4 of the 1st in bytes",
                             f["second_bytes"] * 4 < f["first_bytes"], "%s vs %s" % (mb(f["second_bytes"]), mb(f["first_bytes"]))))
        print("   (2nd: after updating 1% of the keys; sizes are the bytes each checkpoint added to storage)")
        print()
        print("3. Keyed ValueState updates per second, %d keys, %d random updates (native rolling reduce, batches of 1024)" % (args.keys, args.updates))
        for f in cargo_example("updates", str(args.keys), str(args.updates)):
            print("   %-8s %12.0f updates/s  (filling %d keys: %.2f s)" % (f["backend"], f["per_second"], f["keys"], f["fill_seconds"]))
            if f["backend"] == "rocksdb":
                bars.append(("RocksDB ValueState updates >= 500K/s", f["per_second"] >= 500_000, "%.0f/s" % f["per_second"]))
        print()

    for label, ok, value in bars:
        print("%s  %s (%s)" % ("PASS" if ok else "FAIL", label, value))


if __name__ == "__main__":
    main()
