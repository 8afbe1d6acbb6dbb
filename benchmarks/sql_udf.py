#!/usr/bin/env python3
"""A Python scalar UDF in Flink SQL: oxflow vs real PyFlink, general and pandas UDFs.

    python benchmarks/sql_udf.py [--rows N] [--flink-rows F] [--repeat R] [--skip-flink]

Every engine runs the same statements on N rows (default 10,000,000):

    CREATE TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = 'N',
        'rows-per-second' = '1000000000',    -- Flink's default is 10,000
        'fields.v.kind' = 'sequence', 'fields.v.start' = '1', 'fields.v.end' = 'N');
    CREATE TABLE sink (r BIGINT) WITH ('connector' = 'blackhole');
    INSERT INTO sink SELECT f(v) FROM src;

with f registered (create_temporary_system_function) as one of

    general_f = udf(lambda v: v * 2 + 1, result_type=DataTypes.BIGINT())
    pandas_f  = udf(lambda v: v * 2 + 1, result_type=DataTypes.BIGINT(), func_type='pandas')

timed from before the INSERT's execute_sql to after .wait() (DDL outside the clock), best of
--repeat runs (default 2). oxflow runs in this process (streaming mode, parallelism 1), and
also runs `SELECT v * 2 + 1` without a UDF, to show the UDF's own cost. PyFlink runs in a
subprocess per kind (benchmarks/peers/sql_udf_pyflink.py, parallelism 1, after a warm-up on
1,000 rows, the JVM start outside the clock). --flink-rows F runs PyFlink on F rows only and
scales its seconds linearly to N (said so in the output).

Cross-check: oxflow's result of each UDF on the first 100,000 rows is collected and compared
with the Python reference (2v+1 for v = 1..100,000).

Bars (PASS/FAIL; never a non-zero exit because of them):
  PyFlink general UDF / oxflow general UDF >= 10
  PyFlink pandas UDF  / oxflow pandas UDF  >= 10
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sql_window import SKIP_MSG, oxflow_import, peer_python, print_table, run_peer  # noqa: E402  (shared helpers)

# Flink's datagen emits 10,000 rows per second unless told otherwise: no limit here.
SOURCE_DDL = ("CREATE TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '{rows}', "
              "'rows-per-second' = '1000000000', "
              "'fields.v.kind' = 'sequence', 'fields.v.start' = '1', 'fields.v.end' = '{rows}')")
SINK_DDL = "CREATE TABLE sink (r BIGINT) WITH ('connector' = 'blackhole')"
INSERT = "INSERT INTO sink SELECT f(v) FROM src"
NATIVE_INSERT = "INSERT INTO sink SELECT v * 2 + 1 FROM src"
FUNCTIONS = """
from oxflow.table import DataTypes
from oxflow.table.udf import udf

general_f = udf(lambda v: v * 2 + 1, result_type=DataTypes.BIGINT())
pandas_f = udf(lambda v: v * 2 + 1, result_type=DataTypes.BIGINT(), func_type="pandas")
"""
CHECK_ROWS = 100_000


def oxflow_env(function, rows):
    from oxflow.table import EnvironmentSettings, TableEnvironment
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    if function is not None:
        t_env.create_temporary_system_function("f", function)
    t_env.execute_sql(SOURCE_DDL.replace("{rows}", str(rows)))
    return t_env


def run_oxflow(function, rows, insert=INSERT):
    t_env = oxflow_env(function, rows)
    t_env.execute_sql(SINK_DDL)
    t0 = time.perf_counter()
    t_env.execute_sql(insert).wait()
    return time.perf_counter() - t0


def check_oxflow(function):
    t_env = oxflow_env(function, CHECK_ROWS)
    with t_env.sql_query("SELECT f(v) FROM src").execute().collect() as rows:
        got = [r[0] for r in rows]
    ok = got == [2 * v + 1 for v in range(1, CHECK_ROWS + 1)]
    return "check: %s on %s rows" % ("all results match" if ok else "DIFFERENCES", format(CHECK_ROWS, ","))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--flink-rows", type=int, default=None,
                    help="run PyFlink on the first F rows only and scale its seconds linearly to --rows")
    ap.add_argument("--repeat", type=int, default=2, help="timed runs per engine and kind; the best is reported")
    ap.add_argument("--peers-dir", default=os.path.expanduser("~/.cache/oxflow-peers"))
    ap.add_argument("--skip-flink", action="store_true")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed per PyFlink subprocess")
    args = ap.parse_args()
    n = args.rows
    flink_n = n if args.flink_rows is None or not 0 < args.flink_rows < n else args.flink_rows
    print(f"sql_udf: SELECT f(v) over {n:,} datagen rows into blackhole, f = v * 2 + 1 as a general and a "
          f"pandas Python UDF; python {sys.version.split()[0]}; {os.cpu_count()} cores", flush=True)

    namespace = {}
    rows = []  # (engine, rows run, seconds scaled to n, note)
    ox = {}
    flink = {}
    err = oxflow_import()
    if err:
        rows.append(("oxflow", None, None, err))
    else:
        exec(FUNCTIONS, namespace)
        s = min(run_oxflow(None, n, NATIVE_INSERT) for _ in range(max(1, args.repeat)))
        rows.append(("oxflow, no UDF (v * 2 + 1 in SQL)", n, s, "in-process, best of %d" % args.repeat))
        print(f"[oxflow native] {s:.3f} s", flush=True)
        for kind in ("general", "pandas"):
            f = namespace["%s_f" % kind]
            s = min(run_oxflow(f, n) for _ in range(max(1, args.repeat)))
            ox[kind] = s
            msg = check_oxflow(f)
            rows.append((f"oxflow {kind} UDF", n, s, f"in-process, best of {args.repeat}; {msg}"))
            print(f"[oxflow {kind}] {s:.3f} s; {msg}", flush=True)

    py = None if args.skip_flink else peer_python(args.peers_dir, "flink")
    if args.skip_flink:
        rows.append(("PyFlink", None, None, "skipped (--skip-flink)"))
    elif py is None:
        rows.append(("PyFlink", None, None, SKIP_MSG))
    if py:
        tmpdir = tempfile.mkdtemp(prefix="oxflow-sqludf-")
        spec_file = os.path.join(tmpdir, "spec.json")
        with open(spec_file, "w", encoding="utf-8") as f:
            json.dump({"source": SOURCE_DDL, "sink": SINK_DDL, "insert": INSERT, "functions": FUNCTIONS}, f)
        for kind in ("general", "pandas"):
            print(f"[PyFlink {kind}] running on {flink_n:,} rows ...", flush=True)
            res, err = run_peer(py, "sql_udf_pyflink.py", spec_file,
                                ["--kind", kind, "--rows", str(flink_n), "--repeat", str(args.repeat)],
                                os.path.join(tmpdir, "results.json"), args.timeout)
            if err:
                rows.append((f"PyFlink {kind} UDF", None, None, err.splitlines()[0]))
                print(f"[PyFlink {kind}] {err}", flush=True)
                continue
            s = res["seconds"] * n / flink_n
            scale = "" if flink_n == n else f"EXTRAPOLATED linearly from {res['seconds']:.1f} s on {flink_n:,} rows; "
            flink[kind] = s
            runs = ", ".join("%.1f" % r for r in res["runs"])
            rows.append((f"PyFlink {res.get('version', '?')} {kind} UDF", flink_n, s,
                         f"{scale}subprocess, best of [{runs}] s; warm-up on 1,000 rows {res['overhead_seconds']:.1f} s "
                         f"(not subtracted); process {res['process_seconds']:.1f} s"))
            print(f"[PyFlink {kind}] runs {res['runs']} s on {flink_n:,} rows", flush=True)
        shutil.rmtree(tmpdir, ignore_errors=True)

    print_table(rows, n, None)
    print(f"(seconds and rows/s are for {n:,} rows"
          + (f"; PyFlink ran on {flink_n:,} rows, its seconds scaled by {n / flink_n:g}" if flink_n < n and flink else "") + ")")
    print()
    for kind in ("general", "pandas"):
        label = f"PyFlink {kind} UDF / oxflow {kind} UDF >= 10"
        if kind in flink and kind in ox:
            r = flink[kind] / ox[kind]
            print(f"bar {label}: {r:.2f} -> {'PASS' if r >= 10 else 'FAIL'}")
        else:
            print(f"bar {label}: N/A (not measured)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
