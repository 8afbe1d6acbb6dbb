"""Runs SQL statements on real PyFlink (apache-flink) for the SQL benchmarks, timed.

Run with the python of the PyFlink virtualenv (its bin/ first on PATH):

    python sql_pyflink.py SPEC_JSON --parallelism P [--repeat R] [--no-warmup]

SPEC_JSON holds {"cases": [{"name", "setup": [DDL...], "insert": "INSERT INTO ...",
"check_setup": [DDL...] (optional: the same tables over small inputs, a filesystem sink
into "{out}")}], "warmup": {"setup": [...], "insert": ...} (optional)}.

Each run gets a fresh TableEnvironment (streaming mode, parallelism.default P); only
`t_env.execute_sql(insert).wait()` is timed (JVM start-up, DDL outside the clock).
Prints one JSON line per case on stdout: {"name", "seconds" (best), "runs", "check_lines"
(every line the check run's sink wrote, if it has one)}.
"""
import argparse
import json
import os
import shutil
import tempfile
import time

from _pyflink_common import flink_version, quiet_stdout


def sink_lines(d):
    """Every line of every file under d (Flink's part files, in-progress ones included)."""
    lines = []
    for root, _dirs, files in os.walk(d):
        for name in files:
            if name.endswith(".crc") or name.startswith("_"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                lines.extend(line.rstrip("\n") for line in f if line.strip())
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-warmup", action="store_true")
    args = ap.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    real_stdout = quiet_stdout()
    from pyflink.table import EnvironmentSettings, TableEnvironment

    def run(setup, insert):
        t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
        t_env.get_config().set("parallelism.default", str(args.parallelism))
        for ddl in setup:
            t_env.execute_sql(ddl)
        t0 = time.perf_counter()
        t_env.execute_sql(insert).wait()
        return time.perf_counter() - t0

    if spec.get("warmup") and not args.no_warmup:
        run(spec["warmup"]["setup"], spec["warmup"]["insert"])
    for case in spec["cases"]:
        runs = [run(case["setup"], case["insert"]) for _ in range(max(1, args.repeat))]
        check_lines = None
        if case.get("check_setup"):
            out = tempfile.mkdtemp(prefix="oxflow-sql-flink-")
            try:
                run([s.replace("{out}", out) for s in case["check_setup"]], case["insert"])
                check_lines = sink_lines(out)
            finally:
                shutil.rmtree(out, ignore_errors=True)
        real_stdout.write(json.dumps({"engine": "pyflink", "version": flink_version(), "name": case["name"], "seconds": min(runs),
                                      "runs": runs, "check_lines": check_lines, "parallelism": args.parallelism}) + "\n")
        real_stdout.flush()


if __name__ == "__main__":
    main()
