"""Processing-time windows in SQL (a `PROCTIME()` column as the window's time attribute), with
Flink's semantics: a row belongs to the windows of the time it arrives, a window fires once the
clock passes its end (its `window_time`/`TUMBLE_PROCTIME` is when it fired), and windows still
open at the end of a bounded input never fire. Real PyFlink's output for a bounded file (every
window open at the end: empty results) is the conformance case proctime_windows_bounded.json;
these tests run datagen at a fixed rate so that windows close while the job runs."""

import datetime

import pytest

from oxflow.table import EnvironmentSettings, TableEnvironment

GENERATED = """CREATE TABLE g (k INT, pt AS PROCTIME())
  WITH ('connector' = 'datagen', 'rows-per-second' = '40', 'number-of-rows' = '60',
        'fields.k.min' = '1', 'fields.k.max' = '2')"""
HALF_SECOND = datetime.timedelta(milliseconds=500)


@pytest.fixture(params=[1, 2], ids=["p1", "p2"])
def t_env(request):
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", str(request.param))
    t_env.execute_sql(GENERATED)
    return t_env


def windows(t_env, sql):
    with t_env.sql_query(sql).execute().collect() as it:
        return sorted(tuple(r) for r in it)


def check(rows):
    """(window start, window end, window time, key, count) rows of half-second windows."""
    assert rows, "1.5 s of rows close at least two half-second windows"
    starts = sorted({r[0] for r in rows})
    for start, end, time, key, count in rows:
        assert end - start == HALF_SECOND
        assert start.microsecond % 500_000 == 0, "windows are aligned to the epoch"
        # The window time is an instant (TIMESTAMP_LTZ); the bounds are UTC wall-clock times.
        fired = time.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        assert fired >= end - datetime.timedelta(milliseconds=1), "a window fires once the clock passed its end"
        assert key in (1, 2) and 1 <= count <= 40
    assert len(rows) == len({(r[0], r[3]) for r in rows}), "each window fires once per key"
    assert sum(r[4] for r in rows) < 60, "the window open at the end of input does not fire"
    assert starts == [starts[0] + i * HALF_SECOND for i in range(len(starts))], "consecutive windows"


def test_processing_time_group_window(t_env):
    check(windows(t_env, """
        SELECT TUMBLE_START(pt, INTERVAL '0.5' SECOND), TUMBLE_END(pt, INTERVAL '0.5' SECOND),
               TUMBLE_PROCTIME(pt, INTERVAL '0.5' SECOND), k, COUNT(*)
        FROM g GROUP BY TUMBLE(pt, INTERVAL '0.5' SECOND), k"""))


def test_processing_time_window_tvf(t_env):
    check(windows(t_env, """
        SELECT window_start, window_end, window_time, k, COUNT(*)
        FROM TABLE(TUMBLE(TABLE g, DESCRIPTOR(pt), INTERVAL '0.5' SECOND))
        GROUP BY window_start, window_end, window_time, k"""))


def test_processing_time_window_schema_marks_the_window_time(t_env):
    table = t_env.sql_query("""
        SELECT k, TUMBLE_PROCTIME(pt, INTERVAL '1' SECOND) AS w_time, COUNT(*) AS c
        FROM g GROUP BY TUMBLE(pt, INTERVAL '1' SECOND), k""")
    assert "`w_time` TIMESTAMP_LTZ(3) NOT NULL *PROCTIME*" in str(table.get_schema())


def test_rowtime_of_a_processing_time_window_is_refused(t_env):
    with pytest.raises(Exception, match="TUMBLE_ROWTIME.*processing-time window.*TUMBLE_PROCTIME"):
        t_env.sql_query("SELECT TUMBLE_ROWTIME(pt, INTERVAL '1' SECOND) FROM g GROUP BY TUMBLE(pt, INTERVAL '1' SECOND)").execute()
