#!/usr/bin/env python3
"""Event-time tumbling-window benchmark: plain Python loop vs oxflow vs PyFlink vs Bytewax.

    python benchmarks/windowed.py [--events N] [--peers-dir DIR]
        [--skip-flink] [--skip-bytewax] [--flink-events M]

Input: N events (default 1,000,000) (key: str, value: int, ts_ms: int) made
with random.Random(42): event i has ts = T0 + i + randint(-50, 50) (about 1 ms
apart, out of order by up to 100 ms), key "k%d" % randrange(1000), value
randrange(100).  Every engine computes, per (key, 1-second event-time tumbling
window), the sum of the values, with watermarks trailing the largest timestamp
by 100 ms (bounded out-of-orderness):

  (a) oxflow's built-in window sum   .window(TumblingEventTimeWindows.of(Time.seconds(1))).sum(1)
      (an oxflow extension like Java Flink's WindowedStream.sum; runs in Rust)
  (b) a Python reduce                .reduce(lambda a, b: (a[0], a[1] + b[1], a[2]))
  (c) a Python ProcessWindowFunction  summing the window's elements

Engines:
  plain loop  in this process: dicts per window, the same timestamp assigner
              method and key/reduce lambdas, a window emitted once (max ts
              seen - 100 ms) >= its end.  The reference for results and ratios.
  oxflow      in this process, PyFlink's API, execute_and_collect() into a list,
              variants a, b, c (skipped if `import oxflow` fails).
  PyFlink     subprocess per variant (benchmarks/peers/windowed_pyflink.py),
              thread mode, variants b and c (PyFlink has no window sum on
              Python tuples, so oxflow's (a) is compared with PyFlink's (b)).
  Bytewax     subprocess per variant (benchmarks/peers/windowed_bytewax.py),
              EventClock with a 100 ms wait, TumblingWindower(1 s):
              reduce_window (b) and collect_window + sum (c).

The plain loop and oxflow run --repeat times (default 2) and the best time is
reported.  Results are compared with the plain loop's as (key, window start,
sum); differences are counted and reported, never fatal.  Bars are printed as
PASS/FAIL; the script never exits non-zero because of them.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS_SRC = os.path.join(HERE, "peers")
SKIP_MSG = "skipped (not installed; see benchmarks/README.md)"

N_KEYS = 1000
MAX_VALUE = 100
JITTER_MS = 50
T0 = 1_700_000_000_000
WINDOW_MS = 1000
OUT_OF_ORDERNESS_MS = 100


def make_events(n):
    rng = random.Random(42)
    return [("k%d" % rng.randrange(N_KEYS), rng.randrange(MAX_VALUE),
             T0 + i + rng.randint(-JITTER_MS, JITTER_MS)) for i in range(n)]


# The functions, as every engine gets them.
key = lambda e: e[0]  # noqa: E731
red = lambda a, b: (a[0], a[1] + b[1], a[2])  # noqa: E731


def window_start(ts):
    return ts - ts % WINDOW_MS


class EventTimestamps:
    """The event-time extraction, as oxflow's (and PyFlink's) pipeline runs it: a Python
    TimestampAssigner method called once per event.  The plain loop calls the same method, so
    both pay that Python call (the engines' subclass adds only the TimestampAssigner base)."""

    def extract_timestamp(self, value, record_timestamp):
        return value[2]


NO_TIMESTAMP = -(2 ** 63)   # what the engines pass as record_timestamp (Long.MIN_VALUE)


# --------------------------------------------------------------------------
# plain loop
def run_plain(events):
    """Returns (seconds, results as (key, sum, first ts), dropped late events)."""
    t0 = time.perf_counter()
    windows = {}           # window start -> {key: reduced tuple}
    out = []
    max_ts = -(2 ** 63)
    first_end = 2 ** 63    # end of the earliest open window
    dropped = 0
    extract = EventTimestamps().extract_timestamp   # bound once, as the engines do
    for e in events:
        ts = extract(e, NO_TIMESTAMP)
        ws = ts - ts % WINDOW_MS
        if ws + WINDOW_MS <= max_ts - OUT_OF_ORDERNESS_MS:
            dropped += 1   # its window has been emitted
            continue
        w = windows.get(ws)
        if w is None:
            w = windows[ws] = {}
            if ws + WINDOW_MS < first_end:
                first_end = ws + WINDOW_MS
        k = key(e)
        prev = w.get(k)
        w[k] = e if prev is None else red(prev, e)
        if ts > max_ts:
            max_ts = ts
            wm = ts - OUT_OF_ORDERNESS_MS
            if wm >= first_end:
                for s in sorted(windows):
                    if s + WINDOW_MS > wm:
                        break
                    out.extend(windows.pop(s).values())
                first_end = min(windows) + WINDOW_MS if windows else 2 ** 63
    for s in sorted(windows):
        out.extend(windows[s].values())
    seconds = time.perf_counter() - t0
    return seconds, out, dropped


# --------------------------------------------------------------------------
# oxflow
def run_oxflow(events, variant, parallelism):
    try:
        import oxflow  # noqa: F401
        from oxflow.common.time import Duration, Time
        from oxflow.common.typeinfo import Types
        from oxflow.common.watermark_strategy import TimestampAssigner, WatermarkStrategy
        from oxflow.datastream import StreamExecutionEnvironment
        from oxflow.datastream.functions import ProcessWindowFunction
        from oxflow.datastream.window import TumblingEventTimeWindows
    except Exception as e:  # ImportError, or a half-built package
        return None, f"skipped (import oxflow failed: {type(e).__name__}: {e})"

    class TS(EventTimestamps, TimestampAssigner):
        pass

    class SumWindow(ProcessWindowFunction):
        def process(self, key, context, elements):
            s = 0
            for e in elements:
                s += e[1]
            yield (key, context.window().start, s)

    t0 = time.perf_counter()
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    ds = env.from_collection(events, type_info=Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()]))
    ds = ds.assign_timestamps_and_watermarks(
        WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(OUT_OF_ORDERNESS_MS))
        .with_timestamp_assigner(TS()))
    w = ds.key_by(key).window(TumblingEventTimeWindows.of(Time.seconds(1)))
    if variant == "a":
        ds = w.sum(1)
    elif variant == "b":
        ds = w.reduce(red)
    else:
        ds = w.process(SumWindow(), output_type=Types.TUPLE([Types.STRING(), Types.LONG(), Types.LONG()]))
    result = list(ds.execute_and_collect())
    seconds = time.perf_counter() - t0
    if variant == "c":   # (key, window start, sum)
        triples = [(k, s, v) for k, s, v in result]
    else:                # (key, sum, first ts)
        triples = [(k, window_start(ts), v) for k, v, ts in result]
    return (seconds, triples), None


# --------------------------------------------------------------------------
# peers in subprocesses
def peer_python(peers_dir, name):
    py = os.path.join(peers_dir, name, "bin", "python")
    return py if os.path.exists(py) else None


def run_peer(py, script, events_file, extra_args, results_file, timeout):
    env = dict(os.environ)
    # PyFlink starts Python workers by name; the venv's bin must come first.
    env["PATH"] = os.path.dirname(py) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    if os.path.exists(results_file):
        os.unlink(results_file)
    cmd = [py, os.path.join(PEERS_SRC, script), events_file,
           "--results-out", results_file] + extra_args
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    wall = time.perf_counter() - t0
    res = None
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                res = json.loads(line)
            except ValueError:
                pass
    if p.returncode != 0 or res is None:
        tail = "\n".join(p.stderr.strip().splitlines()[-15:])
        return None, f"failed (exit {p.returncode}):\n{tail}"
    res["process_seconds"] = wall
    if os.path.exists(results_file) and os.path.getsize(results_file) > 0:
        with open(results_file, encoding="utf-8") as f:
            res["triples"] = [tuple(t) for t in json.load(f)]
        os.unlink(results_file)
    return res, None


# --------------------------------------------------------------------------
def to_ref(out):
    """plain-loop output (key, sum, first ts) -> {(key, window start): sum}."""
    return {(k, window_start(ts)): v for k, v, ts in out}


def compare(triples, ref):
    """Compare (key, window start, sum) triples with the reference dict.

    Returns (ok, message).  Differences are counted, never fatal."""
    if triples is None:
        return None, "results not observable"
    got = {}
    dup = 0
    for k, s, v in triples:
        if (k, s) in got:
            dup += 1
        got[(k, s)] = v
    missing = sum(1 for kw in ref if kw not in got)
    extra = sum(1 for kw in got if kw not in ref)
    differ = sum(1 for kw, v in got.items() if kw in ref and ref[kw] != v)
    total_got = sum(v for _k, _s, v in triples)
    total_ref = sum(ref.values())
    if not (dup or missing or extra or differ):
        return True, f"all {len(ref):,} (key, window) sums match"
    parts = [f"{len(triples):,} results vs {len(ref):,}"]
    if missing:
        parts.append(f"{missing:,} missing")
    if extra:
        parts.append(f"{extra:,} extra")
    if dup:
        parts.append(f"{dup:,} duplicated")
    parts.append(f"{differ:,} of the common (key, window)s differ")
    parts.append(f"total {total_got:,} vs {total_ref:,}")
    return False, "DIFFERENCES: " + ", ".join(parts)


VARIANT_NAMES = {
    "a": "(a) built-in sum",
    "b": "(b) Python reduce",
    "c": "(c) ProcessWindowFunction",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--peers-dir", default=os.path.expanduser("~/.cache/oxflow-peers"))
    ap.add_argument("--skip-flink", action="store_true")
    ap.add_argument("--skip-bytewax", action="store_true")
    ap.add_argument("--skip-oxflow", action="store_true")
    ap.add_argument("--variants", default="abc",
                    help="which of a, b, c to run (default abc; a is oxflow only)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="runs of the plain loop and of each oxflow variant; the best is reported")
    ap.add_argument("--parallelism", type=int, default=1,
                    help="parallelism for oxflow and PyFlink (Bytewax: 1 worker)")
    ap.add_argument("--flink-events", type=int, default=None,
                    help="run PyFlink on the first M events only and extrapolate its "
                         "seconds linearly to --events (for when the full size is too slow)")
    ap.add_argument("--flink-sink", choices=["print-file", "discard"], default="print-file",
                    help="how PyFlink's results leave the job (see README)")
    ap.add_argument("--flink-mode", choices=["thread", "process"], default="thread")
    ap.add_argument("--bytewax-batch-size", type=int, default=1000)
    ap.add_argument("--timeout", type=int, default=3600,
                    help="seconds allowed per peer subprocess")
    args = ap.parse_args()
    variants = [v for v in "abc" if v in args.variants]

    print(f"windowed: {args.events:,} events, {N_KEYS:,} keys, 1 s tumbling event-time "
          f"windows, out-of-orderness {OUT_OF_ORDERNESS_MS} ms, jitter +-{JITTER_MS} ms, "
          f"seed 42; python {sys.version.split()[0]}")
    events = make_events(args.events)

    rows = []  # (engine, variant label, seconds or None, note)

    # ---- plain loop -----------------------------------------------------------
    plain_s = None
    for _ in range(max(1, args.repeat)):
        s, plain_out, dropped = run_plain(events)
        plain_s = s if plain_s is None else min(plain_s, s)
        print(f"[plain loop] {s:.3f} s", flush=True)
    ref = to_ref(plain_out)
    assert len(ref) == len(plain_out)
    total = sum(e[1] for e in events)
    rows.append(("plain loop", "(b)-like: dicts + reduce", plain_s,
                 f"in-process, best of {args.repeat}; {len(ref):,} (key, window) results, "
                 f"{dropped:,} late events dropped, total {total:,}"))
    del plain_out

    # ---- oxflow ---------------------------------------------------------------
    ox = {}
    if args.skip_oxflow:
        rows.append(("oxflow", "", None, "skipped (--skip-oxflow)"))
    else:
        for v in variants:
            best = None
            err = None
            for _ in range(max(1, args.repeat)):
                res, err = run_oxflow(events, v, args.parallelism)
                if err:
                    break
                s, triples = res
                print(f"[oxflow {v}] {s:.3f} s", flush=True)
                if best is None or s < best[0]:
                    best = (s, triples)
                del res
            if err:
                rows.append(("oxflow", "", None, err))
                print(f"[oxflow] {err}")
                break
            ok, msg = compare(best[1], ref)
            ox[v] = best[0]
            rows.append(("oxflow", VARIANT_NAMES[v], best[0],
                         f"in-process, p={args.parallelism}, best of {args.repeat}, "
                         f"execute_and_collect into a list; {msg}"))
            print(f"[oxflow {v}] best {best[0]:.3f} s; {msg}", flush=True)
            best = None

    # ---- peers ----------------------------------------------------------------
    tmpdir = tempfile.mkdtemp(prefix="oxflow-win-")
    events_file = os.path.join(tmpdir, "events.csv")
    results_file = os.path.join(tmpdir, "results.json")
    flink_n = args.events
    if args.flink_events is not None and 0 < args.flink_events < args.events:
        flink_n = args.flink_events
    with open(events_file, "w", encoding="utf-8") as f:
        f.write("".join(f"{k},{v},{ts}\n" for k, v, ts in events))
    flink_file = events_file
    flink_ref = ref
    if flink_n < args.events:
        flink_file = os.path.join(tmpdir, "events_flink.csv")
        with open(flink_file, "w", encoding="utf-8") as f:
            f.write("".join(f"{k},{v},{ts}\n" for k, v, ts in events[:flink_n]))
        _s, out_n, _d = run_plain(events[:flink_n])
        flink_ref = to_ref(out_n)
        del out_n
    del events

    fl = {}
    peer_variants = [v for v in variants if v != "a"]
    if args.skip_flink:
        rows.append(("PyFlink", "", None, "skipped (--skip-flink)"))
    else:
        py = peer_python(args.peers_dir, "flink")
        if py is None:
            rows.append(("PyFlink", "", None, SKIP_MSG))
            print(f"[PyFlink] {SKIP_MSG}")
        for v in peer_variants if py else []:
            print(f"[PyFlink {v}] running on {flink_n:,} events (sink={args.flink_sink}, "
                  f"mode={args.flink_mode}) ...", flush=True)
            res, err = run_peer(
                py, "windowed_pyflink.py", flink_file,
                ["--variant", v, "--parallelism", str(args.parallelism),
                 "--sink", args.flink_sink, "--mode", args.flink_mode],
                results_file, args.timeout)
            if err:
                rows.append((f"PyFlink", VARIANT_NAMES[v], None, err.splitlines()[0]))
                print(f"[PyFlink {v}] {err}")
                continue
            ok, msg = compare(res.get("triples"), flink_ref)
            s = res["seconds"]
            scale = ""
            if flink_n < args.events:
                s = s * args.events / flink_n
                scale = (f"EXTRAPOLATED linearly from {res['seconds']:.1f} s on "
                         f"{flink_n:,} events; ")
            fl[v] = s
            how = {"print-file": "Java print sink -> file, parsed after the clock",
                   "discard": "Java DiscardingSink, nothing collected"}[args.flink_sink]
            rows.append((f"PyFlink {res.get('version', '?')}", VARIANT_NAMES[v], s,
                         f"{scale}subprocess, {res['mode']} mode, p={res['parallelism']}, "
                         f"{how}; incl. fixed per-job cost (10-event job: "
                         f"{res['overhead_seconds'] or float('nan'):.1f} s); process "
                         f"{res['process_seconds']:.1f} s; {msg}"))
            print(f"[PyFlink {v}] {res['seconds']:.3f} s on {flink_n:,} events; {msg}",
                  flush=True)

    if args.skip_bytewax:
        rows.append(("Bytewax", "", None, "skipped (--skip-bytewax)"))
    else:
        py = peer_python(args.peers_dir, "bytewax")
        if py is None:
            rows.append(("Bytewax", "", None, SKIP_MSG))
            print(f"[Bytewax] {SKIP_MSG}")
        for v in peer_variants if py else []:
            print(f"[Bytewax {v}] running (batch_size={args.bytewax_batch_size}) ...",
                  flush=True)
            res, err = run_peer(
                py, "windowed_bytewax.py", events_file,
                ["--variant", v, "--batch-size", str(args.bytewax_batch_size)],
                results_file, args.timeout)
            if err:
                rows.append(("Bytewax", VARIANT_NAMES[v], None, err.splitlines()[0]))
                print(f"[Bytewax {v}] {err}")
                continue
            ok, msg = compare(res.get("triples"), ref)
            op_name = "reduce_window" if v == "b" else "collect_window + map(sum)"
            rows.append((f"Bytewax {res.get('version', '?')}", VARIANT_NAMES[v],
                         res["seconds"],
                         f"subprocess, run_main (1 worker), {op_name}, TestingSource "
                         f"batch {res['batch_size']}; {res['late']:,} events sent to "
                         f"late; process {res['process_seconds']:.1f} s; {msg}"))
            print(f"[Bytewax {v}] {res['seconds']:.3f} s; {msg}", flush=True)

    for path in (events_file, flink_file, results_file):
        try:
            os.unlink(path)
        except OSError:
            pass
    try:
        os.rmdir(tmpdir)
    except OSError:
        pass

    # ---- table ----------------------------------------------------------------
    print()
    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print(f"{'engine':<{w1}}  {'variant':<{w2}}  {'seconds':>9}  {'vs plain':>9}  notes")
    print(f"{'-' * w1}  {'-' * w2}  {'-' * 9}  {'-' * 9}  -----")
    for name, var, s, note in rows:
        if s is None:
            print(f"{name:<{w1}}  {var:<{w2}}  {'-':>9}  {'-':>9}  {note}")
        else:
            print(f"{name:<{w1}}  {var:<{w2}}  {s:>9.3f}  {s / plain_s:>8.2f}x  {note}")
    if flink_n < args.events and fl:
        print(f"(PyFlink ran on {flink_n:,} events; its seconds are scaled by "
              f"{args.events / flink_n:g})")

    # ---- bars -----------------------------------------------------------------
    print()

    def bar(label, num, den, limit, at_least, what_missing):
        if num is None or den is None:
            print(f"bar {label}: N/A ({what_missing} not measured)")
            return
        r = num / den
        ok = r >= limit if at_least else r <= limit
        print(f"bar {label}: {r:.2f} -> {'PASS' if ok else 'FAIL'}")

    def missing(*pairs):
        return " and ".join(n for n, val in pairs if val is None) or "-"

    a, b, c = ox.get("a"), ox.get("b"), ox.get("c")
    fb, fc = fl.get("b"), fl.get("c")
    bar("PyFlink(b) / oxflow(a)  >= 50", fb, a, 50, True,
        missing(("PyFlink (b)", fb), ("oxflow (a)", a)))
    bar("PyFlink(b) / oxflow(b)  >= 10", fb, b, 10, True,
        missing(("PyFlink (b)", fb), ("oxflow (b)", b)))
    bar("PyFlink(c) / oxflow(c)  >= 10", fc, c, 10, True,
        missing(("PyFlink (c)", fc), ("oxflow (c)", c)))
    bar("oxflow(b) / plain loop  <= 2 ", b, plain_s, 2, False,
        missing(("oxflow (b)", b),))
    return 0


if __name__ == "__main__":
    sys.exit(main())
