#!/usr/bin/env python3
"""MATCH_RECOGNIZE on price ticks: oxflow's SQL engine vs PyFlink (Flink SQL's CEP).

    python benchmarks/sql_match_recognize.py [--ticks N] [--check-ticks M] [--symbols S]
        [--parallelism 1,2] [--repeat R] [--skip-flink]

Input: N ticks (default 5,000,000) made with random.Random(11), one per 10 ms from
2024-01-01 10:00:00 with up to 20 ms of jitter (so some come out of order), over S symbols
(default 100: a tick per symbol per second), written once to a CSV file (Flink's csv format):
ticks (symbol STRING, price DOUBLE, ts TIMESTAMP(3)) with
`WATERMARK FOR ts AS ts - INTERVAL '1' SECOND`. Each symbol's price wanders by under 1% a
tick around 100; about one tick in 25 starts a surge (four rises of 8%), after which the
price falls back.

Query: the reference notes' price surge, into a blackhole sink (every engine runs the same
text; timed from the INSERT's execute_sql to .wait()):

    SELECT * FROM ticks MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY ts
      MEASURES A.price AS start_price, C.price AS end_price, (C.price - A.price) / A.price AS
               price_change, A.ts AS start_ts, C.ts AS end_ts
      ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
      PATTERN (A B*? C) WITHIN INTERVAL '5' MINUTE
      DEFINE C AS (C.price - A.price) / A.price > 0.20)

Cross-check: the query also runs on the first --check-ticks ticks (default 200,000) into a
filesystem sink; its rows are compared with PyFlink's when it runs (else only counted).

Bar (PASS/FAIL, never a non-zero exit because of it): Flink SQL / oxflow >= 5 at equal
parallelism. PyFlink comes from benchmarks/peers (see benchmarks/README.md).
"""
import argparse
import datetime
import os
import random
import shutil
import tempfile
import time

from sql_joins import flink_python, run_flink, run_oxflow, sink_lines

T0 = datetime.datetime(2024, 1, 1, 10, 0, 0)
COLUMNS = "symbol STRING, price DOUBLE, ts TIMESTAMP(3)"
SINK = "symbol STRING, start_price DOUBLE, end_price DOUBLE, price_change DOUBLE, start_ts TIMESTAMP(3), end_ts TIMESTAMP(3)"
QUERY = (
    "SELECT * FROM ticks MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY ts "
    "MEASURES A.price AS start_price, C.price AS end_price, (C.price - A.price) / A.price AS price_change, "
    "A.ts AS start_ts, C.ts AS end_ts "
    "ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW "
    "PATTERN (A B*? C) WITHIN INTERVAL '5' MINUTE "
    "DEFINE C AS (C.price - A.price) / A.price > 0.20)"
)


def statements(directory, out=None):
    source = (f"CREATE TABLE ticks ({COLUMNS}, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
              f"WITH ('connector' = 'filesystem', 'path' = '{os.path.join(directory, 'ticks.csv')}', 'format' = 'csv')")
    if out is None:
        sink = f"CREATE TABLE sink ({SINK}) WITH ('connector' = 'blackhole')"
    else:
        sink = f"CREATE TABLE sink ({SINK}) WITH ('connector' = 'filesystem', 'path' = '{out}', 'format' = 'csv')"
    return [source, sink], "INSERT INTO sink " + QUERY


def write_ticks(directory, n, symbols):
    rnd = random.Random(11)
    os.makedirs(directory, exist_ok=True)
    price = [100.0] * symbols
    surge = [0] * symbols
    text_of = {}
    with open(os.path.join(directory, "ticks.csv"), "w", encoding="utf-8") as f:
        for i in range(n):
            ms = i * 10 + rnd.randint(0, 20)
            s, frac = divmod(ms, 1000)
            st = text_of.get(s)
            if st is None:
                st = text_of[s] = (T0 + datetime.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S")
            k = rnd.randrange(symbols)
            if surge[k] == 0 and rnd.random() < 0.04:
                surge[k] = 4
            if surge[k]:
                surge[k] -= 1
                price[k] *= 1.08
            else:
                # Back towards 100, with noise under 1%.
                price[k] = price[k] + (100.0 - price[k]) * 0.3 + rnd.uniform(-0.9, 0.9)
            f.write("S%03d,%.2f,%s.%03d\n" % (k, price[k], st, frac))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ticks", type=int, default=5_000_000)
    ap.add_argument("--check-ticks", type=int, default=200_000)
    ap.add_argument("--symbols", type=int, default=100)
    ap.add_argument("--parallelism", default="1")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-flink", action="store_true")
    args = ap.parse_args()
    parallelisms = [int(p) for p in args.parallelism.split(",")]
    work = tempfile.mkdtemp(prefix="oxflow-sql-mr-")
    try:
        full, check = os.path.join(work, "full"), os.path.join(work, "check")
        t0 = time.perf_counter()
        write_ticks(full, args.ticks, args.symbols)
        write_ticks(check, args.check_ticks, args.symbols)
        print(f"data: {args.ticks:,} ticks of {args.symbols} symbols (+ {args.check_ticks:,} for the check) in {time.perf_counter() - t0:.1f} s")
        py = None if args.skip_flink else flink_python()
        if not args.skip_flink and py is None:
            print("PyFlink: skipped (not installed; see benchmarks/README.md)")
        bars = []
        for p in parallelisms:
            flink = {}
            if py:
                setup, insert = statements(full)
                check_setup, _ = statements(check, "{out}")
                warm_setup, _ = statements(check)
                spec = {"cases": [{"name": "surge", "setup": setup, "insert": insert, "check_setup": check_setup}],
                        "warmup": {"setup": warm_setup, "insert": insert}}
                flink = run_flink(py, spec, p, args.repeat).get("surge")
            setup, insert = statements(full)
            seconds = min(run_oxflow(setup, insert, p) for _ in range(args.repeat))
            out = os.path.join(work, f"out-{p}")
            check_setup, _ = statements(check, out)
            run_oxflow(check_setup, insert, p)
            ours = sink_lines(out)
            notes = [f"{len(ours)} check rows"]
            if flink and flink.get("check_lines") is not None:
                notes.append("rows %s Flink's (%d)" % ("=" if sorted(flink["check_lines"]) == sorted(ours) else "!=", len(flink["check_lines"])))
            ratio = flink["seconds"] / seconds if flink else None
            print(f"\nparallelism {p}:")
            print("  %-9s %12s %12s %9s   %s" % ("query", "oxflow s", "Flink SQL s", "ratio", "check"))
            print("  %-9s %12.2f %12s %9s   %s" % ("surge", seconds, "%.2f" % flink["seconds"] if flink else "-", "%.1fx" % ratio if ratio else "-", ", ".join(notes)))
            if ratio is not None:
                bars.append((f"Flink SQL / oxflow >= 5 (price surge, parallelism {p})", ratio >= 5, "%.1fx" % ratio))
        print()
        for label, ok, value in bars:
            print("%s  %s (%s)" % ("PASS" if ok else "FAIL", label, value))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
