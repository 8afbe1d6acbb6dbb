"""Flink SQL tumbling-window aggregation on real PyFlink (apache-flink), run by
benchmarks/sql_window.py.

Run with the python of the PyFlink virtualenv (its bin/ first on PATH):

    python sql_window_pyflink.py SPEC_JSON --parallelism P [--repeat R]
        [--results-out PATH] [--no-warmup] [--no-check]

SPEC_JSON (written by sql_window.py) holds the statements, the same text every SQL
engine runs, with "{path}" placeholders:

    "source":    CREATE TABLE src (...) WITH ('connector' = 'filesystem', 'path' = '{path}', ...)
    "blackhole": CREATE TABLE sink (...) WITH ('connector' = 'blackhole')
    "file_sink": CREATE TABLE sink (...) WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'csv')
    "insert":    INSERT INTO sink SELECT ... GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), k

and the inputs: "csv" (the timed run, into the blackhole sink), "check_csv" (the
small run whose results are read back from the filesystem sink), "warmup_csv".

Each run gets a fresh TableEnvironment (streaming mode, parallelism.default P).
Only `t_env.execute_sql(insert).wait()` is timed: the JVM gateway, the
TableEnvironment and the CREATE TABLE statements are outside the clock.  Order:
a warm-up run on a few rows into the blackhole sink (its time is reported as
"overhead_seconds", not subtracted), the timed run, then the check run.

Prints one JSON line on stdout:
  {"engine": "pyflink", "seconds": ..., "check_seconds": ..., ...}
With --results-out, writes the check run's rows as a JSON list of
[k, w (text as written by Flink's csv format), s, c, a].
"""
import argparse
import csv
import json
import os
import shutil
import tempfile
import time

from _pyflink_common import flink_version, quiet_stdout


def read_part_files(d):
    """Every file under d, hidden (in-progress) ones included: Flink names finished part
    files part-*, and without checkpoints it may leave .part-*.inprogress.* behind."""
    rows = []
    names = []
    for root, _dirs, files in os.walk(d):
        for name in sorted(files):
            if name.endswith(".crc") or name.startswith("_"):
                continue
            names.append(name)
            with open(os.path.join(root, name), newline="", encoding="utf-8") as f:
                for r in csv.reader(f):
                    if r:
                        rows.append([int(r[0]), r[1], float(r[2]), int(r[3]), float(r[4])])
    return rows, names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="timed runs; all reported, best in 'seconds'")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--results-out", default=None)
    args = ap.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)

    real_stdout = quiet_stdout()

    from pyflink.java_gateway import get_gateway
    from pyflink.table import EnvironmentSettings, TableEnvironment

    jvm_pid = get_gateway().jvm.java.lang.ProcessHandle.current().pid()
    tick = os.sysconf("SC_CLK_TCK")

    def jvm_cpu():
        """user + system CPU seconds of the JVM so far (from /proc; None if unreadable)."""
        try:
            with open("/proc/%d/stat" % jvm_pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            return None

    def run(csv_path, sink_ddl):
        t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
        t_env.get_config().set("parallelism.default", str(args.parallelism))
        t_env.execute_sql(spec["source"].replace("{path}", csv_path))
        t_env.execute_sql(sink_ddl)
        t0 = time.perf_counter()
        t_env.execute_sql(spec["insert"]).wait()
        return time.perf_counter() - t0

    overhead = None
    if not args.no_warmup:
        overhead = run(spec["warmup_csv"], spec["blackhole"])

    runs = []
    cpus = []
    for _ in range(max(1, args.repeat)):
        c0 = jvm_cpu()
        runs.append(run(spec["csv"], spec["blackhole"]))
        c1 = jvm_cpu()
        cpus.append(None if c0 is None or c1 is None else c1 - c0)
    best = min(range(len(runs)), key=runs.__getitem__)
    seconds = runs[best]

    check_seconds = None
    n_results = None
    part_files = None
    if not args.no_check:
        out_dir = tempfile.mkdtemp(prefix="oxflow-sqlwin-flink-")
        try:
            check_seconds = run(spec["check_csv"], spec["file_sink"].replace("{path}", out_dir))
            rows, part_files = read_part_files(out_dir)
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
        n_results = len(rows)
        if args.results_out:
            with open(args.results_out, "w", encoding="utf-8") as f:
                json.dump(rows, f)

    version = flink_version()
    real_stdout.write(json.dumps({
        "engine": "pyflink",
        "version": version,
        "seconds": seconds,
        "runs": runs,
        "jvm_cpu_seconds": cpus[best],
        "check_seconds": check_seconds,
        "overhead_seconds": overhead,
        "results": n_results,
        "part_files": part_files,
        "parallelism": args.parallelism,
    }) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
