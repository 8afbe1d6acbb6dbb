"""Word count on real PyFlink (apache-flink), run by benchmarks/word_count.py.

Run with the python of the PyFlink virtualenv (its bin/ first on PATH):

    python word_count_pyflink.py LINES_FILE [--parallelism P]
        [--sink print-file|discard|collect] [--mode thread|process]
        [--counts-out PATH]

LINES_FILE holds one input line per line.  The job is

    from_collection(lines) -> flat_map(fm) -> key_by(key) -> reduce(red) -> sink

with the same three lambdas as every other engine in the benchmark.  Only the
job is timed: the clock starts after the JVM gateway is up
(get_execution_environment) and stops when env.execute() /
execute_and_collect() returns; that includes building the pipeline,
serialising the input collection, starting the local mini cluster and running
the job.  Before it, the same pipeline runs once on 10 lines into a
DiscardingSink; its time is reported as "overhead_seconds" (the fixed cost of
any job: mini cluster, submission, Python worker start) and is not subtracted.

Sinks (how the 2,000,000 rolling updates leave the job):
  print-file (default)  DataStream.print(): Flink's Java print sink writes every
                        update as text "(word,count)" to the JVM's stdout, which
                        this script points at a temp file before the JVM starts.
                        After the clock stops the file is read back to count
                        updates and take the final count per word.  Every
                        update is materialised (as a line of text in a file).
  discard               Java DiscardingSink (sink v2): updates are produced and
                        dropped on the Java side.  The number of updates is not
                        observable ("updates": null), nothing is verified.
  collect               execute_and_collect(): every update is pulled into this
                        Python process.  PyFlink's iterator makes py4j round
                        trips per element (hasNext, next, Tuple2 field access),
                        so this measures mostly py4j; only sensible for small
                        inputs.

Prints one JSON line on (the original) stdout:
  {"engine": "pyflink", "seconds": ..., "updates": ..., ...}
"""
import argparse
import json
import os
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines_file")
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--sink", choices=["print-file", "discard", "collect"],
                    default="print-file")
    ap.add_argument("--mode", choices=["thread", "process"], default="thread",
                    help="python.execution-mode (thread is PyFlink's fastest)")
    ap.add_argument("--no-warmup", action="store_true",
                    help="skip the 10-line job that measures the fixed per-job cost")
    ap.add_argument("--counts-out", default=None,
                    help="write the final count per word as JSON here")
    args = ap.parse_args()

    with open(args.lines_file, encoding="utf-8") as f:
        lines = f.read().splitlines()

    # The JVM gateway inherits this process's fd 1.  For the print-file sink,
    # point fd 1 at a temp file *before* the gateway starts, and keep a
    # duplicate of the real stdout for our JSON result line.
    real_stdout = os.fdopen(os.dup(1), "w")
    print_path = None
    if args.sink == "print-file":
        fd, print_path = tempfile.mkstemp(prefix="oxflow-pyflink-wc-", suffix=".txt")
        sys.stdout.flush()
        os.dup2(fd, 1)
        os.close(fd)
    else:
        # keep stray JVM output away from the JSON line
        devnull = os.open(os.devnull, os.O_WRONLY)
        sys.stdout.flush()
        os.dup2(devnull, 1)
        os.close(devnull)

    from pyflink.common import Configuration
    from pyflink.common.typeinfo import Types
    from pyflink.datastream import StreamExecutionEnvironment

    config = Configuration()
    config.set_string("python.execution-mode", args.mode)
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(args.parallelism)

    key = lambda x: x[0]  # noqa: E731
    red = lambda a, b: (a[0], a[1] + b[1])  # noqa: E731
    fm = lambda s: [(w, 1) for w in s.split()]  # noqa: E731

    # Fixed per-job cost, measured apart and NOT subtracted: the same pipeline
    # on 10 lines into a Java DiscardingSink (mini-cluster start, job
    # submission, Python worker set-up, teardown).
    overhead = None
    if not args.no_warmup:
        from pyflink.datastream.connectors.base import Sink
        from pyflink.java_gateway import get_gateway
        jvm = get_gateway().jvm
        t0 = time.perf_counter()
        w = env.from_collection(lines[:10], type_info=Types.STRING())
        w = w.flat_map(fm, output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
        w.key_by(key).reduce(red).sink_to(
            Sink(jvm.org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink()))
        env.execute("word_count_warmup")
        overhead = time.perf_counter() - t0

    updates = None
    final = None
    t0 = time.perf_counter()
    ds = env.from_collection(lines, type_info=Types.STRING())
    ds = ds.flat_map(fm, output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
    ds = ds.key_by(key).reduce(red)
    if args.sink == "collect":
        final = {}
        n = 0
        with ds.execute_and_collect() as it:
            for w, c in it:
                n += 1
                final[w] = c
        updates = n
        seconds = time.perf_counter() - t0
    else:
        if args.sink == "print-file":
            ds.print()
        else:
            from pyflink.datastream.connectors.base import Sink
            from pyflink.java_gateway import get_gateway
            jvm = get_gateway().jvm
            ds.sink_to(Sink(jvm.org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink()))
        env.execute("word_count")
        seconds = time.perf_counter() - t0

    if args.sink == "print-file":
        sys.stdout.flush()
        final = {}
        n = 0
        with open(print_path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                # "(w,c)" at parallelism 1, "k> (w,c)" above
                p = line.find("(")
                if p < 0 or not line.endswith(")"):
                    continue
                w, c = line[p + 1:-1].rsplit(",", 1)
                n += 1
                c = int(c)
                if c > final.get(w, 0):
                    final[w] = c
        updates = n
        os.unlink(print_path)

    if args.counts_out and final is not None:
        with open(args.counts_out, "w", encoding="utf-8") as f:
            json.dump(final, f)

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
        "seconds": seconds,
        "updates": updates,
        "overhead_seconds": overhead,
        "sink": args.sink,
        "mode": args.mode,
        "parallelism": args.parallelism,
        "lines": len(lines),
    }) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
