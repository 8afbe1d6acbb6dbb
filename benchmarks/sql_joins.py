#!/usr/bin/env python3
"""Flink SQL joins on Nexmark-style events: oxflow's SQL engine vs PyFlink (Flink SQL).

    python benchmarks/sql_joins.py [--events N] [--check-events M] [--parallelism 1,2]
        [--repeat R] [--skip-flink] [--only q3,q7,interval,window]

Input: N events (default 5,000,000) made with random.Random(7), one per millisecond from
2024-01-01 10:00:00 with up to 20 ms of jitter, in Nexmark's proportions (of every 50 events:
1 person, 3 auctions, 46 bids), written once to three CSV files (Flink's csv format):

    person  (id BIGINT, name STRING, city STRING, state STRING, date_time TIMESTAMP(3))
    auction (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP(3))
    bid     (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3))

each with `WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND`. A bid is for one of
the last 20 auctions, an auction's seller one of the last 100 persons. Queries (every engine
runs the same text, into a blackhole sink; timed from the INSERT's execute_sql to .wait()):

  q3        Nexmark q3, a regular join: auctions of category 10 with their sellers in OR, ID, CA
  q7        Nexmark q7: bids at the highest price of their 10-second window (a window MAX
            joined back to the bids by price, the time range in WHERE: a regular join)
  interval  an interval join: each bid with its auction, bid time within 20 s after the auction
  window    a window join: per auction and 10-second window, the bid count joined with the
            auction's window (both window TVFs)

Cross-check: every query also runs on the first --check-events events (default 200,000) into a
filesystem sink: the rows are compared with a Python reference (count and a checksum), and
with PyFlink's rows when it runs.

Bars (PASS/FAIL, never a non-zero exit because of them): Flink SQL / oxflow >= 5 per query at
equal parallelism. PyFlink comes from benchmarks/peers (see benchmarks/README.md).
"""
import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))

from sql_pyflink import sink_lines  # noqa: E402  (every line a filesystem sink wrote)
T0 = datetime.datetime(2024, 1, 1, 10, 0, 0)
STATES = ["OR", "ID", "CA", "WA", "NY", "TX", "AZ", "NV"]
CITIES = ["Portland", "Boise", "Sacramento", "Seattle", "Albany", "Austin", "Phoenix", "Reno"]

TABLES = {
    "person": "id BIGINT, name STRING, city STRING, state STRING, date_time TIMESTAMP(3)",
    "auction": "id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP(3)",
    "bid": "auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3)",
}
SINKS = {
    "q3": ("name STRING, city STRING, state STRING, id BIGINT",
           "SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id "
           "WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')"),
    "q7": ("auction BIGINT, price BIGINT, bidder BIGINT, date_time TIMESTAMP(3)",
           "SELECT B.auction, B.price, B.bidder, B.date_time FROM bid B JOIN ("
           "SELECT MAX(price) AS maxprice, window_end AS date_time "
           "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end"
           ") B1 ON B.price = B1.maxprice "
           "WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time"),
    "interval": ("auction BIGINT, price BIGINT, seller BIGINT, date_time TIMESTAMP(3)",
                 "SELECT B.auction, B.price, A.seller, B.date_time FROM bid B JOIN auction A "
                 "ON B.auction = A.id AND B.date_time BETWEEN A.date_time AND A.date_time + INTERVAL '20' SECOND"),
    "window": ("auction BIGINT, bids BIGINT, seller BIGINT, window_start TIMESTAMP(3)",
               "SELECT B.auction, B.bids, A.seller, B.window_start FROM ("
               "SELECT auction, window_start, window_end, COUNT(*) AS bids "
               "FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end"
               ") B JOIN (SELECT * FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(date_time), INTERVAL '10' SECOND))) A "
               "ON B.auction = A.id AND B.window_start = A.window_start AND B.window_end = A.window_end"),
}


def source_ddl(name, directory):
    return (f"CREATE TABLE {name} ({TABLES[name]}, WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND) "
            f"WITH ('connector' = 'filesystem', 'path' = '{os.path.join(directory, name + '.csv')}', 'format' = 'csv')")


def sink_ddl(query, out=None):
    columns = SINKS[query][0]
    if out is None:
        return f"CREATE TABLE sink ({columns}) WITH ('connector' = 'blackhole')"
    return f"CREATE TABLE sink ({columns}) WITH ('connector' = 'filesystem', 'path' = '{out}', 'format' = 'csv')"


def statements(query, directory, out=None):
    return [source_ddl(t, directory) for t in TABLES] + [sink_ddl(query, out)], "INSERT INTO sink " + SINKS[query][1]


def write_events(directory, n):
    """The three CSV files of n events; returns the events for the reference (small n only)."""
    rnd = random.Random(7)
    os.makedirs(directory, exist_ok=True)
    files = {t: open(os.path.join(directory, t + ".csv"), "w", encoding="utf-8") for t in TABLES}
    events = {t: [] for t in TABLES}
    persons, auctions = [], []
    keep = n <= 1_000_000
    text_of = {}
    try:
        for i in range(n):
            ms = i + rnd.randint(0, 20)
            s, frac = divmod(ms, 1000)
            st = text_of.get(s)
            if st is None:
                st = text_of[s] = (T0 + datetime.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S")
            ts = "%s.%03d" % (st, frac)
            slot = i % 50
            if slot == 0 or not persons:
                pid = 1000 + len(persons)
                persons.append(pid)
                row = (pid, "p%d" % pid, CITIES[pid % 8], STATES[rnd.randrange(8)], ms)
                files["person"].write("%d,%s,%s,%s,%s\n" % (row[:4] + (ts,)))
                table = "person"
            elif slot <= 3 or not auctions:
                aid = 1000 + len(auctions)
                auctions.append(aid)
                row = (aid, persons[-1 - rnd.randrange(min(100, len(persons)))], 10 + rnd.randrange(5), ms)
                files["auction"].write("%d,%d,%d,%s\n" % (row[:3] + (ts,)))
                table = "auction"
            else:
                row = (auctions[-1 - rnd.randrange(min(20, len(auctions)))], persons[rnd.randrange(len(persons))], 1 + rnd.randrange(10_000), ms)
                files["bid"].write("%d,%d,%d,%s\n" % (row[:3] + (ts,)))
                table = "bid"
            if keep:
                events[table].append(row)
    finally:
        for f in files.values():
            f.close()
    return events


def reference(query, ev):
    """(row count, checksum: the sum of its CHECK_COLUMN) the query gives on `ev`."""
    if query == "q3":
        state = {p[0]: p[3] for p in ev["person"]}
        rows = [a[0] for a in ev["auction"] if a[2] == 10 and state.get(a[1]) in ("OR", "ID", "CA")]
        return len(rows), sum(rows)
    if query == "q7":
        top = {}
        for b in ev["bid"]:
            w = b[3] // 10_000
            top[w] = max(top.get(w, 0), b[2])
        by_price = {}
        for b in ev["bid"]:
            by_price.setdefault(b[2], []).append(b)
        rows = []
        for w, price in top.items():
            end = (w + 1) * 10_000
            rows.extend(b[0] for b in by_price[price] if end - 10_000 <= b[3] <= end)
        return len(rows), sum(rows)
    if query == "interval":
        at = {a[0]: a[3] for a in ev["auction"]}
        rows = [b[0] for b in ev["bid"] if b[0] in at and at[b[0]] <= b[3] <= at[b[0]] + 20_000]
        return len(rows), sum(rows)
    if query == "window":
        windows = {(a[0], a[3] // 10_000) for a in ev["auction"]}
        counts = {}
        for b in ev["bid"]:
            key = (b[0], b[3] // 10_000)
            counts[key] = counts.get(key, 0) + 1
        rows = [k[0] for k in counts if k in windows]
        return len(rows), sum(rows)
    raise ValueError(query)


# The integer column each query's checksum sums (q3's auction id, the others' auction).
CHECK_COLUMN = {"q3": 3, "q7": 0, "interval": 0, "window": 0}


def checksum(query, lines):
    return len(lines), sum(int(line.split(",")[CHECK_COLUMN[query]]) for line in lines)


def run_oxflow(setup, insert, parallelism):
    from oxflow.table import EnvironmentSettings, TableEnvironment
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", str(parallelism))
    for ddl in setup:
        t_env.execute_sql(ddl)
    t0 = time.perf_counter()
    t_env.execute_sql(insert).wait()
    return time.perf_counter() - t0


def flink_python():
    py = os.path.expanduser("~/.cache/oxflow-peers/flink/bin/python")
    return py if os.path.exists(py) else None


def run_flink(py, spec, parallelism, repeat):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(py) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    cmd = [py, os.path.join(HERE, "peers", "sql_pyflink.py"), f.name, "--parallelism", str(parallelism), "--repeat", str(repeat)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=7200)
    os.unlink(f.name)
    if done.returncode != 0:
        raise SystemExit("PyFlink failed:\n" + done.stderr[-3000:])
    return {r["name"]: r for r in (json.loads(line) for line in done.stdout.splitlines() if line.startswith("{"))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--check-events", type=int, default=200_000)
    ap.add_argument("--parallelism", default="1")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-flink", action="store_true")
    ap.add_argument("--only", default=",".join(SINKS))
    args = ap.parse_args()
    queries = [q for q in args.only.split(",") if q]
    parallelisms = [int(p) for p in args.parallelism.split(",")]
    work = tempfile.mkdtemp(prefix="oxflow-sql-joins-")
    try:
        full, check = os.path.join(work, "full"), os.path.join(work, "check")
        t0 = time.perf_counter()
        write_events(full, args.events)
        check_events = write_events(check, args.check_events)
        print(f"data: {args.events:,} events (+ {args.check_events:,} for the check) in {time.perf_counter() - t0:.1f} s")
        py = None if args.skip_flink else flink_python()
        if not args.skip_flink and py is None:
            print("PyFlink: skipped (not installed; see benchmarks/README.md)")
        bars = []
        for p in parallelisms:
            flink = {}
            if py:
                # A first small job warms the JVM up (class loading, JIT) outside the clock.
                warm_setup, warm_insert = statements("q3", check)
                spec = {"cases": [], "warmup": {"setup": warm_setup, "insert": warm_insert}}
                for q in queries:
                    setup, insert = statements(q, full)
                    check_setup, _ = statements(q, check, "{out}")
                    spec["cases"].append({"name": q, "setup": setup, "insert": insert, "check_setup": check_setup})
                flink = run_flink(py, spec, p, args.repeat)
            print(f"\nparallelism {p}:")
            print("  %-9s %12s %12s %9s   %s" % ("query", "oxflow s", "Flink SQL s", "ratio", "check"))
            for q in queries:
                setup, insert = statements(q, full)
                seconds = min(run_oxflow(setup, insert, p) for _ in range(args.repeat))
                out = os.path.join(work, f"out-{q}-{p}")
                check_setup, _ = statements(q, check, out)
                run_oxflow(check_setup, insert, p)
                ours = sink_lines(out)
                expected = reference(q, check_events)
                got = checksum(q, ours)
                notes = ["rows %s reference" % ("=" if got == expected else "!= (%d vs %d rows)" % (got[0], expected[0]))]
                f = flink.get(q)
                if f is not None and f.get("check_lines") is not None:
                    notes.append("rows %s Flink's" % ("=" if sorted(f["check_lines"]) == sorted(ours) else "!="))
                ratio = f["seconds"] / seconds if f else None
                print("  %-9s %12.2f %12s %9s   %s" % (q, seconds, "%.2f" % f["seconds"] if f else "-", "%.1fx" % ratio if ratio else "-", ", ".join(notes)))
                if ratio is not None:
                    bars.append((f"Flink SQL / oxflow >= 5 ({q}, parallelism {p})", ratio >= 5, "%.1fx" % ratio))
        print()
        for label, ok, value in bars:
            print("%s  %s (%s)" % ("PASS" if ok else "FAIL", label, value))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
