"""Windowed sum on Bytewax, run by benchmarks/windowed.py.

Run with the python of the Bytewax virtualenv:

    python windowed_bytewax.py EVENTS_FILE --variant b|c [--batch-size B]
        [--results-out PATH]

EVENTS_FILE holds one event per line as "key,value,ts_ms".  Dataflow:

    input(TestingSource(events, batch_size=B)) -> key_on(lambda e: e[0])
    clock    = EventClock(lambda e: EPOCH + timedelta(milliseconds=e[2]),
                          wait_for_system_duration=timedelta(milliseconds=100))
    windower = TumblingWindower(length=timedelta(seconds=1), align_to=EPOCH)
    variant b: reduce_window(..., lambda a, b: (a[0], a[1] + b[1], a[2]))
    variant c: collect_window(..., ordered=False) then a map summing e[1]
               over the window's list (the analogue of a ProcessWindowFunction)
    -> output(TestingSink(list)); the late stream goes to a second TestingSink

run with bytewax.testing.run_main (one worker, in this process).  Windows are
aligned to the Unix epoch, so window id * 1000 is the window start in ms.
Only building and running the dataflow is timed.

Note Bytewax's EventClock: the watermark is the largest timestamp seen minus
the wait, plus the *system* time elapsed since that item was seen.  Replaying
1M events takes far less system time than their 1,000 s of event time, so
this is close to Flink's bounded out-of-orderness; items it deems late are
counted ("late").

Prints one JSON line: {"engine": "bytewax", "variant": ..., "seconds": ..., ...}
With --results-out, writes the results as a JSON list of [key, window_start, sum].
"""
import argparse
import json
import time

WINDOW_MS = 1000


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
    ap.add_argument("--batch-size", type=int, default=1000,
                    help="TestingSource batch size (Bytewax's default is 1)")
    ap.add_argument("--results-out", default=None)
    args = ap.parse_args()

    events = read_events(args.events_file)

    from datetime import datetime, timedelta, timezone

    import bytewax
    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.operators.windowing import (EventClock, TumblingWindower,
                                             collect_window, reduce_window)
    from bytewax.testing import TestingSink, TestingSource, run_main

    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    red = lambda a, b: (a[0], a[1] + b[1], a[2])  # noqa: E731

    def sum_window(key_wid_elements):
        key, (wid, elements) = key_wid_elements
        s = 0
        for e in elements:
            s += e[1]
        return (key, (wid, s))

    out = []
    late = []
    t0 = time.perf_counter()
    flow = Dataflow("windowed")
    s = op.input("inp", flow, TestingSource(events, batch_size=args.batch_size))
    k = op.key_on("key", s, lambda e: e[0])
    clock = EventClock(lambda e: epoch + timedelta(milliseconds=e[2]),
                       wait_for_system_duration=timedelta(milliseconds=100))
    windower = TumblingWindower(length=timedelta(seconds=1), align_to=epoch)
    if args.variant == "b":
        w = reduce_window("reduce", k, clock, windower, red)
        down = w.down
    else:
        w = collect_window("collect", k, clock, windower, ordered=False)
        down = op.map("sum", w.down, sum_window)
    op.output("out", down, TestingSink(out))
    op.output("late", w.late, TestingSink(late))
    run_main(flow)
    seconds = time.perf_counter() - t0

    if args.results_out:
        results = []
        if args.variant == "b":
            for key, (wid, (_k, total, _ts)) in out:
                results.append([key, wid * WINDOW_MS, total])
        else:
            for key, (wid, total) in out:
                results.append([key, wid * WINDOW_MS, total])
        with open(args.results_out, "w", encoding="utf-8") as f:
            json.dump(results, f)

    try:
        from importlib.metadata import version as _v
        version = _v("bytewax")
    except Exception:  # pragma: no cover
        version = getattr(bytewax, "__version__", "?")
    print(json.dumps({
        "engine": "bytewax",
        "version": version,
        "variant": args.variant,
        "seconds": seconds,
        "results": len(out),
        "late": len(late),
        "batch_size": args.batch_size,
        "events": len(events),
    }), flush=True)


if __name__ == "__main__":
    main()
