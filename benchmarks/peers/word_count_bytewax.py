"""Word count on Bytewax, run by benchmarks/word_count.py.

Run with the python of the Bytewax virtualenv:

    python word_count_bytewax.py LINES_FILE [--batch-size B] [--counts-out PATH]

Dataflow: input(TestingSource(lines)) -> flat_map(fm) -> key_on(key)
-> stateful_map(rolling reduce with red) -> output(TestingSink(list)),
run with bytewax.testing.run_main (one worker, in this process).  Every
rolling update is appended to the TestingSink list.  Only building and running
the dataflow is timed.

Prints one JSON line: {"engine": "bytewax", "seconds": ..., "updates": ...}
"""
import argparse
import json
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines_file")
    ap.add_argument("--batch-size", type=int, default=1000,
                    help="TestingSource batch size (Bytewax's default is 1)")
    ap.add_argument("--counts-out", default=None)
    args = ap.parse_args()

    with open(args.lines_file, encoding="utf-8") as f:
        lines = f.read().splitlines()

    import bytewax
    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.testing import TestingSink, TestingSource, run_main

    fm = lambda s: [(w, 1) for w in s.split()]  # noqa: E731
    key = lambda x: x[0]  # noqa: E731
    red = lambda a, b: (a[0], a[1] + b[1])  # noqa: E731

    def rolling(state, value):
        new = value if state is None else red(state, value)
        return new, new

    out = []
    t0 = time.perf_counter()
    flow = Dataflow("word_count")
    s = op.input("inp", flow, TestingSource(lines, batch_size=args.batch_size))
    s = op.flat_map("flat_map", s, fm)
    k = op.key_on("key", s, key)
    r = op.stateful_map("reduce", k, rolling)
    op.output("out", r, TestingSink(out))
    run_main(flow)
    seconds = time.perf_counter() - t0

    if args.counts_out:
        final = {}
        for _k, (w, c) in out:
            final[w] = c
        with open(args.counts_out, "w", encoding="utf-8") as f:
            json.dump(final, f)

    try:
        from importlib.metadata import version as _v
        version = _v("bytewax")
    except Exception:  # pragma: no cover
        version = getattr(bytewax, "__version__", "?")
    print(json.dumps({
        "engine": "bytewax",
        "version": version,
        "seconds": seconds,
        "updates": len(out),
        "batch_size": args.batch_size,
        "lines": len(lines),
    }), flush=True)


if __name__ == "__main__":
    main()
