"""Windowed sum on real PyFlink (apache-flink), run by benchmarks/windowed.py.

Run with the python of the PyFlink virtualenv (its bin/ first on PATH):

    python windowed_pyflink.py EVENTS_FILE --variant b|c [--parallelism P]
        [--sink print-file|discard] [--mode thread|process]
        [--results-out PATH] [--no-warmup]

EVENTS_FILE holds one event per line as "key,value,ts_ms".  The job is

    from_collection(events, Types.TUPLE([STRING, INT, LONG]))
    .assign_timestamps_and_watermarks(
        WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(100))
        .with_timestamp_assigner(TS()))              # TS returns e[2]
    .key_by(lambda e: e[0])
    .window(TumblingEventTimeWindows.of(Time.seconds(1)))
    variant b: .reduce(lambda a, b: (a[0], a[1] + b[1], a[2]))
               -> (key, sum, ts of the window's first element)
    variant c: .process(SumWindow(), Types.TUPLE([STRING, LONG, LONG]))
               -> (key, window start, sum)
    -> sink

PyFlink has no built-in sum on a windowed stream of Python tuples, so there is
no variant a here (benchmarks/windowed.py compares oxflow's (a) with this b).

Only the job is timed: the clock starts after the JVM gateway is up and stops
when env.execute() returns (building the pipeline, serialising the input
collection, the local mini cluster, the job).  Before it, the same pipeline
runs once on 10 events into a DiscardingSink; its time is reported as
"overhead_seconds" and is not subtracted.

Sinks:
  print-file (default)  DataStream.print(): Flink's Java print sink writes every
                        window result as text to the JVM's stdout, which this
                        script points at a temp file before the JVM starts.
                        Read back after the clock stops.
  discard               Java DiscardingSink; results not observable.

Prints one JSON line on (the original) stdout:
  {"engine": "pyflink", "variant": ..., "seconds": ..., "results": ..., ...}
With --results-out, writes the results as a JSON list of [key, window_start, sum].
"""
import argparse
import json
import os
import sys
import tempfile
import time

WINDOW_MS = 1000
OUT_OF_ORDERNESS_MS = 100


def read_events(path):
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, v, ts = line.rstrip("\n").split(",")
            events.append((k, int(v), int(ts)))
    return events


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("events_file")
    ap.add_argument("--variant", choices=["b", "c"], required=True)
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--sink", choices=["print-file", "discard"], default="print-file")
    ap.add_argument("--mode", choices=["thread", "process"], default="thread")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--results-out", default=None)
    args = ap.parse_args()

    events = read_events(args.events_file)

    # The JVM inherits fd 1: point it at a temp file (print-file) or /dev/null
    # before the gateway starts; keep the real stdout for the JSON line.
    real_stdout = os.fdopen(os.dup(1), "w")
    print_path = None
    if args.sink == "print-file":
        fd, print_path = tempfile.mkstemp(prefix="oxflow-pyflink-win-", suffix=".txt")
    else:
        fd = os.open(os.devnull, os.O_WRONLY)
    sys.stdout.flush()
    os.dup2(fd, 1)
    os.close(fd)

    from pyflink.common import Configuration, Duration, Time, WatermarkStrategy
    from pyflink.common.typeinfo import Types
    from pyflink.common.watermark_strategy import TimestampAssigner
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.base import Sink
    from pyflink.datastream.functions import ProcessWindowFunction
    from pyflink.datastream.window import TumblingEventTimeWindows
    from pyflink.java_gateway import get_gateway

    config = Configuration()
    config.set_string("python.execution-mode", args.mode)
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(args.parallelism)
    jvm = get_gateway().jvm

    class TS(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            return value[2]

    class SumWindow(ProcessWindowFunction):
        def process(self, key, context, elements):
            s = 0
            for e in elements:
                s += e[1]
            yield (key, context.window().start, s)

    in_type = Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()])
    pw_type = Types.TUPLE([Types.STRING(), Types.LONG(), Types.LONG()])
    red = lambda a, b: (a[0], a[1] + b[1], a[2])  # noqa: E731

    def build(evts):
        ds = env.from_collection(evts, type_info=in_type)
        ds = ds.assign_timestamps_and_watermarks(
            WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(OUT_OF_ORDERNESS_MS))
            .with_timestamp_assigner(TS()))
        w = ds.key_by(lambda e: e[0]).window(TumblingEventTimeWindows.of(Time.seconds(1)))
        if args.variant == "b":
            return w.reduce(red)
        return w.process(SumWindow(), output_type=pw_type)

    def discard(ds):
        ds.sink_to(Sink(jvm.org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink()))

    overhead = None
    if not args.no_warmup:
        t0 = time.perf_counter()
        discard(build(events[:10]))
        env.execute("windowed_warmup")
        overhead = time.perf_counter() - t0

    t0 = time.perf_counter()
    ds = build(events)
    if args.sink == "print-file":
        ds.print()
    else:
        discard(ds)
    env.execute("windowed_%s" % args.variant)
    seconds = time.perf_counter() - t0

    results = None
    if args.sink == "print-file":
        sys.stdout.flush()
        results = []
        with open(print_path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                # "(k,x,y)" at parallelism 1, "n> (k,x,y)" above
                p = line.find("(")
                if p < 0 or not line.endswith(")"):
                    continue
                k, x, y = line[p + 1:-1].rsplit(",", 2)
                x, y = int(x), int(y)
                if args.variant == "b":  # (key, sum, first ts)
                    results.append([k, y - y % WINDOW_MS, x])
                else:  # (key, window start, sum)
                    results.append([k, x, y])
        os.unlink(print_path)
        if args.results_out:
            with open(args.results_out, "w", encoding="utf-8") as f:
                json.dump(results, f)

    import pyflink
    version = getattr(pyflink, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as _v
            version = _v("apache-flink")
        except Exception:  # pragma: no cover
            version = "?"
    real_stdout.write(json.dumps({
        "engine": "pyflink",
        "version": version,
        "variant": args.variant,
        "seconds": seconds,
        "results": None if results is None else len(results),
        "overhead_seconds": overhead,
        "sink": args.sink,
        "mode": args.mode,
        "parallelism": args.parallelism,
        "events": len(events),
    }) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
