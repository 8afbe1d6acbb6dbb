"""Python aggregate functions (udaf): AggregateFunction in unbounded GROUP BY (Flink's
changelog, retract for updating input), in group windows and window TVFs, in the Table API, and
pandas aggregates in windows; errors name the function."""

import pytest

from oxflow.common import Row
from oxflow.table import AggregateFunction, DataTypes, EnvironmentSettings, TableEnvironment, udaf
from oxflow.table.expressions import col, lit
from oxflow.table.window import Tumble


class Total(AggregateFunction):
    """Sum of a BIGINT column, with retract and merge."""

    def create_accumulator(self):
        return Row(0)

    def accumulate(self, acc, v):
        if v is not None:
            acc[0] += v

    def retract(self, acc, v):
        if v is not None:
            acc[0] -= v

    def merge(self, acc, accs):
        for other in accs:
            acc[0] += other[0]

    def get_value(self, acc):
        return acc[0]

    def get_result_type(self):
        return DataTypes.BIGINT()

    def get_accumulator_type(self):
        return DataTypes.ROW([DataTypes.FIELD("total", DataTypes.BIGINT())])


class Longest(AggregateFunction):
    """The longest string seen (no retract)."""

    def create_accumulator(self):
        return [None]

    def accumulate(self, acc, s):
        if acc[0] is None or len(s) > len(acc[0]):
            acc[0] = s

    def get_value(self, acc):
        return acc[0]


EVENTS = [(1, "a", "2024-01-01 10:00:01"), (2, "bb", "2024-01-01 10:00:02"), (3, "a", "2024-01-01 10:00:07"),
          (4, "ccc", "2024-01-01 10:00:11"), (5, "bb", "2024-01-01 10:00:12"), (6, "a", "2024-01-01 10:00:30")]


@pytest.fixture()
def t_env(tmp_path):
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    path = tmp_path / "events.csv"
    path.write_text("".join("%d,%s,%s\n" % e for e in EVENTS))
    t_env.execute_sql("""
        CREATE TABLE events (v BIGINT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % path)
    t_env.create_temporary_system_function("total", udaf(Total()))
    t_env.create_temporary_system_function("longest", udaf(Longest(), result_type=DataTypes.STRING(), accumulator_type="ARRAY<STRING>"))
    return t_env


def changelog(table):
    with table.execute().collect() as rows:
        return [(r.get_row_kind().short_string(),) + tuple(r) for r in rows]


def test_group_by_emits_flinks_changelog(t_env):
    got = changelog(t_env.sql_query("SELECT k, total(v) AS t, longest(k) AS l FROM events GROUP BY k"))
    assert got == [("+I", "a", 1, "a"), ("+I", "bb", 2, "bb"), ("-U", "a", 1, "a"), ("+U", "a", 4, "a"),
                   ("+I", "ccc", 4, "ccc"), ("-U", "bb", 2, "bb"), ("+U", "bb", 7, "bb"), ("-U", "a", 4, "a"),
                   ("+U", "a", 10, "a")]


def test_updating_input_is_retracted(t_env):
    # The inner counts update, so the outer aggregate retracts a key's old count.
    got = changelog(t_env.sql_query("""
        SELECT c, total(n) AS t FROM (SELECT k, COUNT(*) AS c, COUNT(*) * 10 AS n FROM events GROUP BY k) GROUP BY c"""))
    assert got == [("+I", 1, 10), ("-U", 1, 10), ("+U", 1, 20), ("-U", 1, 20), ("+U", 1, 10), ("+I", 2, 20),
                   ("-U", 1, 10), ("+U", 1, 20), ("-U", 1, 20), ("+U", 1, 10), ("-U", 2, 20), ("+U", 2, 40),
                   ("-U", 2, 40), ("+U", 2, 20), ("+I", 3, 30)]


def test_a_function_without_retract_refuses_updating_input(t_env):
    with pytest.raises(Exception, match="longest has no retract method"):
        changelog(t_env.sql_query("SELECT c, longest(k) FROM (SELECT k, COUNT(*) AS c FROM events GROUP BY k) GROUP BY c"))


def test_group_window_and_window_tvf(t_env):
    got = changelog(t_env.sql_query("""
        SELECT TUMBLE_START(ts, INTERVAL '10' SECOND) AS w, total(v) AS t, longest(k) AS l
        FROM events GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)"""))
    assert [g[1:] for g in got] == [(_ts("10:00:00"), 6, "bb"), (_ts("10:00:10"), 9, "ccc"), (_ts("10:00:30"), 6, "a")]
    got = changelog(t_env.sql_query("""
        SELECT window_start, k, total(v) AS t
        FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '20' SECOND))
        GROUP BY window_start, window_end, k"""))
    assert sorted(g[1:] for g in got) == sorted([
        (_ts("09:59:50"), "a", 4), (_ts("09:59:50"), "bb", 2), (_ts("10:00:00"), "a", 4), (_ts("10:00:00"), "bb", 7),
        (_ts("10:00:00"), "ccc", 4), (_ts("10:00:10"), "ccc", 4), (_ts("10:00:10"), "bb", 5),
        (_ts("10:00:20"), "a", 6), (_ts("10:00:30"), "a", 6)])


def test_session_windows_merge_accumulators(t_env, tmp_path):
    got = changelog(t_env.sql_query("""
        SELECT k, total(v) AS t FROM events GROUP BY SESSION(ts, INTERVAL '6' SECOND), k"""))
    assert sorted(g[1:] for g in got) == [("a", 4), ("a", 6), ("bb", 2), ("bb", 5), ("ccc", 4)]
    # The row at :05 bridges the sessions of :01 and :09, whose accumulators merge.
    path = tmp_path / "late.csv"
    path.write_text("1,2024-01-01 10:00:01\n2,2024-01-01 10:00:09\n3,2024-01-01 10:00:05\n")
    t_env.execute_sql("""
        CREATE TABLE late (v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % path)
    got = changelog(t_env.sql_query("SELECT total(v) AS t FROM late GROUP BY SESSION(ts, INTERVAL '6' SECOND)"))
    assert got == [("+I", 6)]


def test_table_api_group_by_and_window(t_env):
    total = udaf(Total())
    events = t_env.from_path("events")
    got = changelog(events.where(col("v") > 3).group_by(col("k")).select(col("k"), total(col("v")).alias("t")))
    assert got == [("+I", "ccc", 4), ("+I", "bb", 5), ("+I", "a", 6)]
    got = changelog(events.window(Tumble.over(lit(20).seconds).on(col("ts")).alias("w")).group_by(col("w"))
                    .select(col("w").start.alias("s"), total(col("v")).alias("t")))
    assert [g[1:] for g in got] == [(_ts("10:00:00"), 15), (_ts("10:00:20"), 6)]


def test_pandas_aggregate_in_windows_gets_series(t_env):
    pd = pytest.importorskip("pandas")
    seen = []

    @udaf(result_type=DataTypes.DOUBLE(), func_type="pandas")
    def mean_v(v):
        seen.append(type(v))
        return v.mean()

    t_env.create_temporary_system_function("mean_v", mean_v)
    got = changelog(t_env.sql_query("""
        SELECT window_start, mean_v(v) AS m FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
        GROUP BY window_start, window_end"""))
    assert [g[1:] for g in got] == [(_ts("10:00:00"), 2.0), (_ts("10:00:10"), 4.5), (_ts("10:00:30"), 6.0)]
    assert set(seen) == {pd.Series}
    got = changelog(t_env.sql_query("SELECT k, mean_v(v) FROM events GROUP BY SESSION(ts, INTERVAL '6' SECOND), k"))
    assert sorted(g[1:] for g in got) == [("a", 2.0), ("a", 6.0), ("bb", 2.0), ("bb", 5.0), ("ccc", 4.0)]


def test_pandas_aggregate_is_refused_in_unbounded_group_by(t_env):
    pytest.importorskip("pandas")
    t_env.create_temporary_system_function("pmax", udaf(lambda v: v.max(), result_type="BIGINT", func_type="pandas"))
    with pytest.raises(Exception, match="pandas aggregate function pmax .* not in an unbounded GROUP BY"):
        t_env.sql_query("SELECT k, pmax(v) FROM events GROUP BY k")


def test_an_aggregate_exception_is_the_users_own(t_env):
    class Broken(Total):
        def accumulate(self, acc, v):
            if v == 4:
                raise ZeroDivisionError("no fours")
            acc[0] += v

    t_env.create_temporary_system_function("broken", udaf(Broken()))
    with pytest.raises(ZeroDivisionError, match="no fours") as e:
        changelog(t_env.sql_query("SELECT k, broken(v) FROM events GROUP BY k"))
    assert any(frame.name == "accumulate" for frame in e.traceback)


def test_udaf_needs_an_aggregate_function_and_a_result_type():
    with pytest.raises(TypeError, match="needs an AggregateFunction"):
        udaf(lambda v: v, result_type="BIGINT")
    with pytest.raises(TypeError, match="result_type"):
        udaf(Longest())


def _ts(hms):
    import datetime
    return datetime.datetime.fromisoformat("2024-01-01 " + hms)
