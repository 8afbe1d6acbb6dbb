"""The same per-(key, minute) aggregation as a DuckDB batch query, run by
benchmarks/sql_window.py.

Run with the python of the DuckDB virtualenv:

    python sql_window_duckdb.py SPEC_JSON --threads T [--repeat R] [--results-out PATH]

SPEC_JSON (written by sql_window.py) holds "duckdb_query", the DuckDB text of the
aggregation with a "{path}" placeholder for the CSV file:

    SELECT k, time_bucket(INTERVAL '1 minute', ts) AS w, SUM(v) AS s, COUNT(*) AS c, AVG(v) AS a
    FROM read_csv('{path}', header = false, columns = {'k': 'BIGINT', 'v': 'DOUBLE', 'ts': 'TIMESTAMP'})
    GROUP BY ALL

and the inputs "csv" (timed) and "check_csv".  The timed run is
`CREATE TEMP TABLE r AS <query>` on an in-memory database (every result row
materialised, nothing sent to Python), counted afterwards outside the clock;
--repeat times, the best in "seconds".  The
check run fetches all rows of the query on check_csv into Python.

Prints one JSON line: {"engine": "duckdb", "seconds": ..., "groups": ..., "rows_counted": ...}
With --results-out, writes the check rows as a JSON list of [k, w (ISO text), s, c, a].
"""
import argparse
import json
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="timed runs; the best in 'seconds'")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--results-out", default=None)
    args = ap.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)

    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {args.threads}")
    q = spec["duckdb_query"]

    runs = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        con.execute("CREATE TEMP TABLE r AS " + q.replace("{path}", spec["csv"]))
        runs.append(time.perf_counter() - t0)
        groups, counted = con.execute("SELECT count(*), sum(c) FROM r").fetchone()
        con.execute("DROP TABLE r")
    seconds = min(runs)

    check_seconds = None
    n_results = None
    if not args.no_check:
        t0 = time.perf_counter()
        rows = con.execute(q.replace("{path}", spec["check_csv"])).fetchall()
        check_seconds = time.perf_counter() - t0
        n_results = len(rows)
        if args.results_out:
            with open(args.results_out, "w", encoding="utf-8") as f:
                json.dump([[k, w.isoformat(sep=" "), s, c, a] for k, w, s, c, a in rows], f)

    print(json.dumps({
        "engine": "duckdb",
        "version": duckdb.__version__,
        "threads": args.threads,
        "seconds": seconds,
        "runs": runs,
        "groups": groups,
        "rows_counted": int(counted),
        "check_seconds": check_seconds,
        "results": n_results,
    }), flush=True)


if __name__ == "__main__":
    main()
