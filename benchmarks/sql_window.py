#!/usr/bin/env python3
"""Flink SQL tumbling-window aggregation: oxflow's SQL engine vs PyFlink (Flink SQL) vs DuckDB.

    python benchmarks/sql_window.py [--rows N] [--check-rows M] [--flink-rows F]
        [--flink-parallelism 1,2] [--duckdb-threads 1,2] [--skip-flink] [--skip-duckdb]

Input: N rows (default 10,000,000) made with random.Random(42), written once to a
CSV file in a temp dir (no header, Flink's csv format):

    k   BIGINT        random key in 0..999
    v   DOUBLE        random, 0.00 .. 999.99 (two decimals)
    ts  TIMESTAMP(3)  2024-01-01 10:00:00.000 + i * 6 ms + randint(-50, 50) ms

so 10M rows span ~16.7 hours: ~1,000 one-minute windows x 1,000 keys = ~1,000,000
result rows of ~10 input rows each.  Every SQL engine runs the same text:

    CREATE TABLE src (k BIGINT, v DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
      WITH ('connector' = 'filesystem', 'path' = '<csv>', 'format' = 'csv');
    CREATE TABLE sink (k BIGINT, w TIMESTAMP(3), s DOUBLE, c BIGINT, a DOUBLE) WITH ('connector' = 'blackhole');
    INSERT INTO sink SELECT k, TUMBLE_START(ts, INTERVAL '1' MINUTE), SUM(v), COUNT(*), AVG(v)
      FROM src GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), k;

timed from before the INSERT's execute_sql to after .wait() (DDL outside the clock);
every engine runs --repeat times (default 2) and its best time is reported.

Engines:
  oxflow   in this process, oxflow.table, streaming mode, parallelism.default 1 and 2
           (--oxflow-parallelism): the source and watermark assigner run at 1, the
           window aggregation at p behind a hash exchange on k.
  PyFlink  subprocess per parallelism (benchmarks/peers/sql_window_pyflink.py), the
           clock inside the script (JVM start-up excluded), after a warm-up run;
           the JVM's CPU seconds are printed too (Flink at p=1 uses more than one core).
  DuckDB   subprocess per thread count (benchmarks/peers/sql_window_duckdb.py): the same
           GROUP BY as a batch query, CREATE TEMP TABLE r AS SELECT k,
           time_bucket(INTERVAL '1 minute', ts), SUM(v), COUNT(*), AVG(v) ... GROUP BY ALL.

Cross-check: every engine also runs once on the first --check-rows rows (default
200,000) with a sink that can be read back (oxflow and PyFlink: a filesystem csv sink
in a temp dir, every part file read; DuckDB: fetchall); the (k, window start, count)
sets, sums and averages are compared with a Python reference (tolerance 1e-9
relative).  DuckDB's COUNT total on the full input is checked against N.

Bars (PASS/FAIL; never a non-zero exit because of them):
  Flink SQL p=1 / oxflow p=1   >= 5
  Flink SQL p=2 / oxflow p=2   >= 5
  oxflow p=1 / DuckDB 1 thread <= 3
oxflow against DuckDB on all cores is printed as information.
"""
import argparse
import csv
import datetime
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS_SRC = os.path.join(HERE, "peers")
SKIP_MSG = "skipped (not installed; see benchmarks/README.md)"

N_KEYS = 1000
STEP_MS = 6
JITTER_MS = 50
T0 = datetime.datetime(2024, 1, 1, 10, 0, 0)
WINDOW_MS = 60_000

SOURCE_DDL = ("CREATE TABLE src (k BIGINT, v DOUBLE, ts TIMESTAMP(3), "
              "WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
              "WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv')")
SINK_COLUMNS = "(k BIGINT, w TIMESTAMP(3), s DOUBLE, c BIGINT, a DOUBLE)"
BLACKHOLE_DDL = f"CREATE TABLE sink {SINK_COLUMNS} WITH ('connector' = 'blackhole')"
FILE_SINK_DDL = (f"CREATE TABLE sink {SINK_COLUMNS} "
                 "WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv')")
INSERT = ("INSERT INTO sink SELECT k, TUMBLE_START(ts, INTERVAL '1' MINUTE), SUM(v), COUNT(*), AVG(v) "
          "FROM src GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), k")
DUCKDB_QUERY = ("SELECT k, time_bucket(INTERVAL '1 minute', ts) AS w, SUM(v) AS s, COUNT(*) AS c, "
                "AVG(v) AS a FROM read_csv('{path}', header = false, "
                "columns = {'k': 'BIGINT', 'v': 'DOUBLE', 'ts': 'TIMESTAMP'}) GROUP BY ALL")


# --------------------------------------------------------------------------
# data
def write_data(path, n, prefixes, ref_rows):
    """Write n rows to path; also the first m rows to path p for each (m, p) in prefixes.

    Returns the Python reference for the first ref_rows rows:
    {(k, window index): [count, sum of v in cents]} (window index = minutes since T0)."""
    import random
    rng = random.Random(42)
    rnd = rng.random
    sec_text = {}
    ref = {}
    outs = [(m, open(p, "w", encoding="utf-8")) for m, p in prefixes]
    main = open(path, "w", encoding="utf-8")
    chunk = []
    CH = 200_000
    try:
        for base in range(0, n, CH):
            chunk = []
            for i in range(base, min(n, base + CH)):
                k = int(rnd() * N_KEYS)
                cents = int(rnd() * 100_000)
                off = i * STEP_MS + int(rnd() * (2 * JITTER_MS + 1)) - JITTER_MS
                s, ms = divmod(off, 1000)
                st = sec_text.get(s)
                if st is None:
                    st = sec_text[s] = (T0 + datetime.timedelta(seconds=s)).strftime("%Y-%m-%d %H:%M:%S")
                chunk.append("%d,%d.%02d,%s.%03d\n" % (k, cents // 100, cents % 100, st, ms))
                if i < ref_rows:
                    g = ref.get((k, off // WINDOW_MS))
                    if g is None:
                        ref[(k, off // WINDOW_MS)] = [1, cents]
                    else:
                        g[0] += 1
                        g[1] += cents
            main.write("".join(chunk))
            for m, f in outs:
                if base < m:
                    f.write("".join(chunk[:m - base]))
    finally:
        main.close()
        for _m, f in outs:
            f.close()
    return ref


def window_index(w):
    """A window start as an engine gives it (datetime or text) -> minutes since T0."""
    if isinstance(w, str):
        w = datetime.datetime.fromisoformat(w.strip())
    return math.floor((w - T0).total_seconds() / 60 + 1e-9)


def compare(rows, ref):
    """rows: (k, w, s, c, a) from an engine; ref: write_data's reference.  -> (ok, message)."""
    if rows is None:
        return None, "results not observable"
    got = {}
    dup = 0
    for k, w, s, c, a in rows:
        key = (int(k), window_index(w))
        if key in got:
            dup += 1
        got[key] = (int(c), float(s), float(a))
    missing = sum(1 for kw in ref if kw not in got)
    extra = sum(1 for kw in got if kw not in ref)
    bad_c = bad_s = bad_a = 0
    for kw, (c, s, a) in got.items():
        r = ref.get(kw)
        if r is None:
            continue
        rc, rs = r[0], r[1] / 100
        if c != rc:
            bad_c += 1
        if not math.isclose(s, rs, rel_tol=1e-9, abs_tol=1e-6):
            bad_s += 1
        if not math.isclose(a, rs / rc, rel_tol=1e-9, abs_tol=1e-6):
            bad_a += 1
    total = sum(c for c, _s, _a in got.values())
    ref_total = sum(r[0] for r in ref.values())
    if not (dup or missing or extra or bad_c or bad_s or bad_a):
        return True, f"check: all {len(ref):,} (k, window) counts/sums/avgs match"
    parts = [f"{len(rows):,} rows vs {len(ref):,}"]
    for n, what in ((missing, "missing"), (extra, "extra"), (dup, "duplicated"),
                    (bad_c, "counts differ"), (bad_s, "sums differ"), (bad_a, "avgs differ")):
        if n:
            parts.append(f"{n:,} {what}")
    parts.append(f"total count {total:,} vs {ref_total:,}")
    return False, "check DIFFERENCES: " + ", ".join(parts)


def read_part_files(d):
    rows = []
    for root, _dirs, files in os.walk(d):
        for name in sorted(files):
            with open(os.path.join(root, name), newline="", encoding="utf-8") as f:
                rows.extend(r for r in csv.reader(f) if r)
    return rows


# --------------------------------------------------------------------------
# oxflow
def oxflow_import():
    try:
        import oxflow  # noqa: F401
        from oxflow.table import EnvironmentSettings, TableEnvironment  # noqa: F401
        return None
    except Exception as e:  # ImportError, or a half-built package
        return f"skipped (import oxflow failed: {type(e).__name__}: {e})"


def run_oxflow(csv_path, sink_ddl, parallelism):
    from oxflow.table import EnvironmentSettings, TableEnvironment
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", str(parallelism))
    t_env.execute_sql(SOURCE_DDL.replace("{path}", csv_path))
    t_env.execute_sql(sink_ddl)
    t0 = time.perf_counter()
    t_env.execute_sql(INSERT).wait()
    return time.perf_counter() - t0


# --------------------------------------------------------------------------
# peers
def peer_python(peers_dir, name):
    py = os.path.join(peers_dir, name, "bin", "python")
    return py if os.path.exists(py) else None


def run_peer(py, script, spec_file, extra_args, results_file, timeout):
    env = dict(os.environ)
    # PyFlink starts Python workers by name; the venv's bin must come first.
    env["PATH"] = os.path.dirname(py) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    if os.path.exists(results_file):
        os.unlink(results_file)
    cmd = [py, os.path.join(PEERS_SRC, script), spec_file, "--results-out", results_file] + extra_args
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
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
            res["rows"] = json.load(f)
        os.unlink(results_file)
    return res, None


def print_table(rows, n, base, base_label="vs oxflow"):
    """rows: (engine, rows run, seconds for n rows or None, note); a ratio column against
    `base` seconds unless it is None."""
    print()
    w1 = max(len(r[0]) for r in rows)
    ratio_head = f"  {base_label:>9}" if base is not None else ""
    print(f"{'engine':<{w1}}  {'rows run':>11}  {'seconds':>9}  {'rows/s':>11}{ratio_head}  notes")
    print(f"{'-' * w1}  {'-' * 11}  {'-' * 9}  {'-' * 11}{'  ' + '-' * 9 if base is not None else ''}  -----")
    for name, ran, s, note in rows:
        if s is None:
            dash = f"  {'-':>9}" if base is not None else ""
            print(f"{name:<{w1}}  {'-':>11}  {'-':>9}  {'-':>11}{dash}  {note}")
            continue
        ratio = (f"  {s / base:>8.2f}x" if base else f"  {'-':>9}") if base is not None else ""
        print(f"{name:<{w1}}  {ran:>11,}  {s:>9.3f}  {n / s:>11,.0f}{ratio}  {note}")


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--check-rows", type=int, default=200_000,
                    help="rows of the cross-check run (a prefix of the input); 0 to skip")
    ap.add_argument("--flink-rows", type=int, default=None,
                    help="run PyFlink's timed run on the first F rows only and extrapolate its "
                         "seconds linearly to --rows (default: all rows)")
    ap.add_argument("--flink-parallelism", type=int_list, default=[1, 2],
                    help="comma-separated PyFlink parallelisms (default 1,2)")
    ap.add_argument("--duckdb-threads", type=int_list, default=None,
                    help="comma-separated DuckDB thread counts (default 1,<cores> ; the bar uses 1)")
    ap.add_argument("--oxflow-parallelism", type=int_list, default=[1, 2],
                    help="comma-separated parallelism.default values for oxflow (default 1,2)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="timed runs of every engine (oxflow, and inside each peer process); "
                         "the best is reported")
    ap.add_argument("--peers-dir", default=os.path.expanduser("~/.cache/oxflow-peers"))
    ap.add_argument("--skip-oxflow", action="store_true")
    ap.add_argument("--skip-flink", action="store_true")
    ap.add_argument("--skip-duckdb", action="store_true")
    ap.add_argument("--keep-data", action="store_true", help="leave the temp dir with the CSV files")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds allowed per peer subprocess")
    args = ap.parse_args()
    n = args.rows
    check_n = min(args.check_rows, n)
    flink_n = n if args.flink_rows is None or not 0 < args.flink_rows < n else args.flink_rows
    duck_threads = args.duckdb_threads or sorted({1, os.cpu_count() or 1})

    print(f"sql_window: {n:,} rows, {N_KEYS:,} keys, 1-minute tumbling event-time windows "
          f"(watermark ts - 1 s), ts step {STEP_MS} ms +-{JITTER_MS} ms, seed 42; "
          f"check run on {check_n:,} rows; python {sys.version.split()[0]}; {os.cpu_count()} cores",
          flush=True)
    tmpdir = tempfile.mkdtemp(prefix="oxflow-sqlwin-")
    csv_path = os.path.join(tmpdir, "data.csv")
    check_path = os.path.join(tmpdir, "check.csv")
    flink_path = os.path.join(tmpdir, "flink.csv") if flink_n < n else csv_path
    warmup_path = os.path.join(tmpdir, "warmup.csv")
    prefixes = [(10, warmup_path)]
    if check_n:
        prefixes.append((check_n, check_path))
    if flink_n < n:
        prefixes.append((flink_n, flink_path))
    t0 = time.perf_counter()
    ref = write_data(csv_path, n, prefixes, check_n)
    print(f"[data] {time.perf_counter() - t0:.1f} s to generate and write "
          f"{os.path.getsize(csv_path) / 1e6:.0f} MB ({tmpdir})", flush=True)
    spec = {"source": SOURCE_DDL, "blackhole": BLACKHOLE_DDL, "file_sink": FILE_SINK_DDL,
            "insert": INSERT, "duckdb_query": DUCKDB_QUERY, "csv": csv_path,
            "check_csv": check_path, "warmup_csv": warmup_path}
    spec_file = os.path.join(tmpdir, "spec.json")
    results_file = os.path.join(tmpdir, "results.json")

    rows = []  # (engine, rows run, seconds scaled to n or None, note)
    ox_s = {}  # parallelism -> seconds
    flink_s = {}
    duck_s = {}

    # ---- oxflow ---------------------------------------------------------------
    err = None if not args.skip_oxflow else "skipped (--skip-oxflow)"
    err = err or oxflow_import()
    if err:
        rows.append(("oxflow", None, None, err))
        print(f"[oxflow] {err}", flush=True)
    for p in args.oxflow_parallelism if not err else []:
        best = None
        try:
            for _ in range(max(1, args.repeat)):
                s = run_oxflow(csv_path, BLACKHOLE_DDL, p)
                print(f"[oxflow p={p}] {s:.3f} s", flush=True)
                best = s if best is None else min(best, s)
            msg = "no check run"
            if check_n:
                out_dir = os.path.join(tmpdir, "oxflow-out")
                cs = run_oxflow(check_path, FILE_SINK_DDL.replace("{path}", out_dir), p)
                _ok, msg = compare(read_part_files(out_dir), ref)
                shutil.rmtree(out_dir, ignore_errors=True)
                msg += f" ({cs:.2f} s)"
            ox_s[p] = best
            rows.append((f"oxflow p={p}", n, best,
                         f"in-process, best of {args.repeat}; {msg}"))
            print(f"[oxflow p={p}] best {best:.3f} s; {msg}", flush=True)
        except Exception as e:
            rows.append((f"oxflow p={p}", None, None, f"failed: {type(e).__name__}: {e}"))
            print(f"[oxflow p={p}] failed: {type(e).__name__}: {e}", flush=True)

    # ---- PyFlink --------------------------------------------------------------
    if args.skip_flink:
        rows.append(("PyFlink", None, None, "skipped (--skip-flink)"))
    else:
        py = peer_python(args.peers_dir, "flink")
        if py is None:
            rows.append(("PyFlink", None, None, SKIP_MSG))
            print(f"[PyFlink] {SKIP_MSG}")
        for p in args.flink_parallelism if py else []:
            with open(spec_file, "w", encoding="utf-8") as f:
                json.dump(dict(spec, csv=flink_path), f)
            print(f"[PyFlink p={p}] running on {flink_n:,} rows ...", flush=True)
            extra = (["--parallelism", str(p), "--repeat", str(args.repeat)]
                     + ([] if check_n else ["--no-check"]))
            res, err = run_peer(py, "sql_window_pyflink.py", spec_file, extra, results_file,
                                args.timeout)
            if err:
                rows.append((f"PyFlink p={p}", None, None, err.splitlines()[0]))
                print(f"[PyFlink p={p}] {err}", flush=True)
                continue
            _ok, msg = compare(res.get("rows"), ref) if check_n else (None, "no check run")
            if check_n:
                msg += f" ({res['check_seconds']:.2f} s, {len(res['part_files'] or [])} part files)"
            s = res["seconds"]
            scale = ""
            if flink_n < n:
                s = s * n / flink_n
                scale = f"EXTRAPOLATED linearly from {res['seconds']:.1f} s on {flink_n:,} rows; "
            flink_s[p] = s
            cpu = res.get("jvm_cpu_seconds")
            runs = ", ".join("%.1f" % r for r in res["runs"])
            rows.append((f"PyFlink {res.get('version', '?')} p={p}", flink_n, s,
                         f"{scale}subprocess, best of [{runs}] s"
                         + (f" (JVM CPU {cpu:.1f} s in the best)" if cpu is not None else "")
                         + "; warm-up run on 10 rows "
                         f"{res['overhead_seconds'] or float('nan'):.1f} s (not subtracted); "
                         f"process {res['process_seconds']:.1f} s; {msg}"))
            print(f"[PyFlink p={p}] runs {res['runs']} s on {flink_n:,} rows, JVM CPU in the best "
                  f"{cpu} s; {msg}", flush=True)

    # ---- DuckDB ---------------------------------------------------------------
    if args.skip_duckdb:
        rows.append(("DuckDB", None, None, "skipped (--skip-duckdb)"))
    else:
        py = peer_python(args.peers_dir, "duckdb")
        if py is None:
            rows.append(("DuckDB", None, None, SKIP_MSG))
            print(f"[DuckDB] {SKIP_MSG}")
        for t in duck_threads if py else []:
            with open(spec_file, "w", encoding="utf-8") as f:
                json.dump(spec, f)
            print(f"[DuckDB threads={t}] running ...", flush=True)
            extra = (["--threads", str(t), "--repeat", str(args.repeat)]
                     + ([] if check_n else ["--no-check"]))
            res, err = run_peer(py, "sql_window_duckdb.py", spec_file, extra, results_file,
                                args.timeout)
            if err:
                rows.append((f"DuckDB threads={t}", None, None, err.splitlines()[0]))
                print(f"[DuckDB threads={t}] {err}", flush=True)
                continue
            _ok, msg = compare(res.get("rows"), ref) if check_n else (None, "no check run")
            counted = res["rows_counted"]
            full = (f"full input: {res['groups']:,} (k, window) groups, COUNT total {counted:,}"
                    + ("" if counted == n else f" != {n:,} MISMATCH"))
            duck_s[t] = res["seconds"]
            runs = ", ".join("%.2f" % r for r in res["runs"])
            rows.append((f"DuckDB {res.get('version', '?')} threads={t}", n, res["seconds"],
                         f"subprocess, best of [{runs}] s, batch CREATE TEMP TABLE AS; process "
                         f"{res['process_seconds']:.1f} s; {full}; {msg}"))
            print(f"[DuckDB threads={t}] {res['seconds']:.3f} s; {full}; {msg}", flush=True)

    if args.keep_data:
        print(f"(data kept in {tmpdir})")
    else:
        shutil.rmtree(tmpdir, ignore_errors=True)

    # ---- table ----------------------------------------------------------------
    # Ratios against oxflow p=1 (0: not measured, the column shows '-').
    print_table(rows, n, ox_s.get(1) or next(iter(ox_s.values()), 0.0))
    print(f"(seconds and rows/s are for {n:,} rows"
          + (f"; PyFlink ran on {flink_n:,} rows, its seconds scaled by {n / flink_n:g}"
             if flink_n < n and flink_s else "") + ")")
    print("'vs oxflow' is against oxflow p=1. Sources (one CSV file) run at parallelism 1 in both "
          "engines; the keyed window operator runs at p.")

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
        return " and ".join(nm for nm, val in pairs if val is None) or "-"

    d1 = duck_s.get(1)
    for p in sorted(set(args.oxflow_parallelism) | set(flink_s)):
        bar(f"Flink SQL p={p} / oxflow p={p}   >= 5", flink_s.get(p), ox_s.get(p), 5, True,
            missing((f"PyFlink p={p}", flink_s.get(p)), (f"oxflow p={p}", ox_s.get(p))))
    bar("oxflow p=1 / DuckDB 1 thread <= 3", ox_s.get(1), d1, 3, False,
        missing(("oxflow p=1", ox_s.get(1)), ("DuckDB threads=1", d1)))
    for t, s in sorted(duck_s.items()):
        for p, o in sorted(ox_s.items()):
            if (t, p) != (1, 1):
                print(f"info oxflow p={p} / DuckDB {t} threads: {o / s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
