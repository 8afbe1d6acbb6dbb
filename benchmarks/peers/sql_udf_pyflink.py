"""A Python scalar UDF in Flink SQL on real PyFlink (apache-flink), run by
benchmarks/sql_udf.py.

Run with the python of the PyFlink virtualenv (its bin/ first on PATH, so Flink's
Python workers start with it):

    python sql_udf_pyflink.py SPEC_JSON --kind general|pandas [--repeat R] [--rows N]

SPEC_JSON (written by sql_udf.py) holds the statements every engine runs, with a "{rows}"
placeholder: "source" (a datagen sequence table of N rows), "sink" (blackhole), "insert"
(INSERT INTO sink SELECT f(v) FROM src), and "functions": the source text defining the
general and the pandas UDF (`general_f`, `pandas_f`) with pyflink's udf.

Each run gets a fresh TableEnvironment (streaming mode, parallelism.default 1); only
`execute_sql(insert).wait()` is timed. A warm-up run on 1,000 rows comes first (its time is
reported as "overhead_seconds", not subtracted). Prints one JSON line on stdout:
  {"engine": "pyflink", "seconds": best, "runs": [...], ...}
"""
import argparse
import json
import time

from _pyflink_common import flink_version, quiet_stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--kind", choices=["general", "pandas"], required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--results-out", default=None, help="accepted for sql_window's run_peer; unused")
    args = ap.parse_args()
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)

    real_stdout = quiet_stdout()

    from pyflink.table import EnvironmentSettings, TableEnvironment
    namespace = {}
    exec(spec["functions"].replace("oxflow.", "pyflink."), namespace)
    function = namespace["%s_f" % args.kind]

    def run(rows):
        t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
        t_env.get_config().set("parallelism.default", "1")
        t_env.create_temporary_system_function("f", function)
        t_env.execute_sql(spec["source"].replace("{rows}", str(rows)))
        t_env.execute_sql(spec["sink"])
        t0 = time.perf_counter()
        t_env.execute_sql(spec["insert"]).wait()
        return time.perf_counter() - t0

    overhead = run(1000)
    runs = [run(args.rows) for _ in range(max(1, args.repeat))]
    version = flink_version()
    real_stdout.write(json.dumps({"engine": "pyflink", "version": version, "kind": args.kind, "seconds": min(runs),
                                  "runs": runs, "overhead_seconds": overhead, "rows": args.rows}) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
