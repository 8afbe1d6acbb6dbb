"""SQL jobs through checkpoint, stop and restore: each program runs straight through, then again
stopped with a savepoint mid-way and restored at another parallelism (1 -> 3 and 4 -> 2); the
final result must equal the straight run's.

The results are collected (an at-least-once sink: rows emitted after the savepoint's barrier and
before the job stopped are emitted again by the restored job), so a run's final result is its
changelog applied as an upsert table on the query's unique key: +I/+U set the key's row, -D
removes it. The straight run's changelog must also give that result applied as a multiset
(+I/+U add, -U/-D retract), so the upsert view is a faithful reading of it.

Also: restoring from a missing savepoint names it; state for an operator the job no longer has
is refused unless ``execution.state-recovery.ignore-unclaimed-state``."""

import threading
import time
from collections import Counter

import pytest

from oxflow.common.types import RowKind
from oxflow.table import EnvironmentSettings, TableEnvironment

ROWS = 3000

# The event time of row `id` is 10 id ms after the epoch (in order).
SOURCE = (
    "CREATE TABLE src (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 10, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) "
    "WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', "
    "'fields.id.start' = '1', 'fields.id.end' = '%d', 'rows-per-second' = '%d')"
)

# A versioned table for temporal joins: currency `cur` gets its one version at 10 cur ms.
RATES = (
    "CREATE TABLE rates (cur BIGINT, rate BIGINT, rts AS TO_TIMESTAMP_LTZ(cur * 10, 3), "
    "WATERMARK FOR rts AS rts - INTERVAL '1' SECOND, PRIMARY KEY (cur) NOT ENFORCED) "
    "WITH ('connector' = 'datagen', 'fields.cur.kind' = 'sequence', 'fields.cur.start' = '1', 'fields.cur.end' = '%d', "
    "'fields.rate.kind' = 'sequence', 'fields.rate.start' = '1001', 'fields.rate.end' = '%d', 'rows-per-second' = '%d')"
)

TUMBLE_SRC = "TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND))"

# (name, query, number of leading key columns of its result)
PROGRAMS = [
    ("group_by", "SELECT id % 50 AS k, COUNT(*) AS c, SUM(id) AS s, MAX(id) AS m FROM src GROUP BY id % 50", 1),
    # The inner aggregation's -U/+U are retracted from the outer one.
    ("group_by_retractions",
     "SELECT c, COUNT(*) AS n, SUM(s) AS total FROM "
     "(SELECT id % 37 AS k, COUNT(*) AS c, SUM(id) AS s FROM src WHERE id % 5 <> 0 GROUP BY id % 37) GROUP BY c", 1),
    ("global_aggregate", "SELECT COUNT(*) AS c, SUM(id) AS s, AVG(id) AS a FROM src", 0),
    ("tumble_tvf",
     "SELECT window_start, window_end, COUNT(*) AS c, SUM(id) AS s FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '1' SECOND)) "
     "GROUP BY window_start, window_end", 1),
    ("hop_group_window",
     "SELECT HOP_START(ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND) AS w, id % 3 AS k, COUNT(*) AS c FROM src "
     "GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND), id % 3", 2),
    # Each left row once padded (+I), its padding retracted (-D) when its match arrives (+I).
    ("left_join_retractions",
     "SELECT a.id, a.k, b.id AS b_id FROM (SELECT id, id % 100 AS k FROM src) AS a "
     "LEFT JOIN (SELECT id FROM src WHERE id % 7 = 0) AS b ON a.k = b.id", 1),
    # Rows of b within a second before a's time, on the same key; a's rows without any padded
    # when the watermark passes their bound.
    ("interval_left_join",
     "SELECT a.id, b.id AS b_id FROM src AS a LEFT JOIN (SELECT id, ts FROM src WHERE id % 3 = 0) AS b "
     "ON a.id % 50 = b.id % 50 AND a.ts BETWEEN b.ts AND b.ts + INTERVAL '1' SECOND", 2),
    ("top_n_append", "SELECT k, rn, id FROM (SELECT id % 10 AS k, id, ROW_NUMBER() OVER (PARTITION BY id % 10 ORDER BY id DESC) AS rn "
     "FROM src) WHERE rn <= 3", 2),
    # Top-N over an updating input (each group's MAX moves up): retractions into the ranking.
    ("top_n_updating",
     "SELECT p, rn, g, m FROM (SELECT g % 4 AS p, g, m, ROW_NUMBER() OVER (PARTITION BY g % 4 ORDER BY m DESC, g) AS rn FROM "
     "(SELECT id % 40 AS g, MAX(id) AS m FROM src GROUP BY id % 40)) WHERE rn <= 2", 2),
    ("dedup_keep_last",
     "SELECT k, id FROM (SELECT id % 20 AS k, id, ROW_NUMBER() OVER (PARTITION BY id % 20 ORDER BY ts DESC) AS rn FROM src) "
     "WHERE rn = 1", 1),
    ("dedup_keep_first_rowtime",
     "SELECT k, id FROM (SELECT id % 2000 AS k, id, ROW_NUMBER() OVER (PARTITION BY id % 2000 ORDER BY ts ASC) AS rn FROM src) "
     "WHERE rn = 1", 1),
    ("over_rows",
     "SELECT id, SUM(id) OVER (PARTITION BY id % 5 ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM src", 1),
    ("over_range",
     "SELECT id, COUNT(*) OVER (PARTITION BY id % 3 ORDER BY ts RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW) AS c, "
     "MAX(id) OVER (PARTITION BY id % 3 ORDER BY ts RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW) AS m FROM src", 1),
    ("over_unbounded",
     "SELECT id, AVG(id) OVER (PARTITION BY id % 4 ORDER BY ts) AS a FROM src", 1),
    # Runs of ids (of one residue mod 4) that are not multiples of 7, each ended by one that is.
    ("match_recognize",
     "SELECT * FROM src4 MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts "
     "MEASURES C.id AS c_id, FIRST(A.id) AS first_id, COUNT(A.id) AS n ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW "
     "PATTERN (A+ C) DEFINE A AS A.id % 7 <> 0, C AS C.id % 7 = 0)", 2),
    ("temporal_join",
     "SELECT a.id, r.rate FROM (SELECT id, id % 100 + 1 AS cur, ts FROM src) AS a "
     "JOIN rates FOR SYSTEM_TIME AS OF a.ts AS r ON a.cur = r.cur", 1),
    ("window_join",
     "SELECT a.id, b.id AS b_id, a.window_start FROM (SELECT * FROM %s) AS a "
     "JOIN (SELECT * FROM %s WHERE id %% 3 = 0) AS b "
     "ON a.id %% 50 = b.id %% 50 AND a.window_start = b.window_start AND a.window_end = b.window_end" % (TUMBLE_SRC, TUMBLE_SRC), 2),
    ("window_top_n",
     "SELECT window_start, rn, id FROM (SELECT window_start, window_end, id, "
     "ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY id DESC) AS rn FROM %s) WHERE rn <= 3" % TUMBLE_SRC, 2),
]


def table_env(parallelism, options, rate):
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = t_env.get_config()
    config.set("parallelism.default", str(parallelism))
    for key, value in options.items():
        config.set(key, value)
    t_env.execute_sql(SOURCE % (ROWS, rate))
    t_env.execute_sql(RATES % (ROWS, ROWS + 1000, rate))
    # MATCH_RECOGNIZE partitions by a column of a named table (the parser takes none after a subquery).
    t_env.execute_sql("CREATE TEMPORARY VIEW src4 AS SELECT id, id % 4 AS k, ts FROM src")
    return t_env


class Collector:
    """Collects a running query's rows on a thread (the job blocks while nobody reads them)."""

    def __init__(self, result):
        self.result = result
        self.rows = []
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            with self.result.collect() as rows:
                for row in rows:
                    self.rows.append((row.get_row_kind(), tuple(row)))
        except BaseException as e:  # re-raised by join
            self.error = e

    def join(self, timeout=120):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the query did not end"
        if self.error is not None:
            raise self.error
        return self.rows


def upsert(rows, keys):
    table = {}
    for kind, values in rows:
        if kind in (RowKind.INSERT, RowKind.UPDATE_AFTER):
            table[values[:keys]] = values
        elif kind == RowKind.DELETE:
            table.pop(values[:keys], None)
    return sorted(table.values())


def multiset(rows):
    table = Counter()
    for kind, values in rows:
        table[values] += 1 if kind in (RowKind.INSERT, RowKind.UPDATE_AFTER) else -1
    assert all(n >= 0 for n in table.values()), "a retraction of a row that is not there"
    return sorted(v for v, n in table.items() for _ in range(n))


def straight(query, keys):
    rows = Collector(table_env(1, {}, 1_000_000).execute_sql(query)).join()
    assert upsert(rows, keys) == multiset(rows)
    return upsert(rows, keys)


def stopped_and_restored(query, tmp_path, before, after):
    options = {"execution.checkpointing.interval": "100 ms", "execution.checkpointing.dir": str(tmp_path / "checkpoints")}
    # ~2 s of input: stopped after 0.7 s.
    first = table_env(before, options, ROWS // 2)
    result = first.execute_sql(query)
    collector = Collector(result)
    time.sleep(0.7)
    savepoint = result.get_job_client().stop_with_savepoint(False, str(tmp_path / "savepoints")).result(timeout=120)
    rows_before = collector.join()
    restored = dict(options, **{"execution.state-recovery.path": savepoint})
    rows_after = Collector(table_env(after, restored, 1_000_000).execute_sql(query)).join()
    return rows_before, rows_after


@pytest.mark.parametrize("before,after", [(1, 3), (4, 2)])
@pytest.mark.parametrize("name,query,keys", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_stop_with_savepoint_and_restore_gives_the_straight_result(tmp_path, name, query, keys, before, after):
    expected = straight(query, keys)
    rows_before, rows_after = stopped_and_restored(query, tmp_path, before, after)
    assert rows_before and rows_after
    # Stopped mid-way, and the restored job went on from the savepoint: a job started afresh
    # would emit the first run's first change again.
    assert upsert(rows_before, keys) != expected
    assert rows_before[0] not in rows_after
    assert upsert(rows_before + rows_after, keys) == expected


def test_restore_from_a_missing_savepoint_names_it(tmp_path):
    missing = tmp_path / "no-such-savepoint"
    t_env = table_env(1, {"execution.checkpointing.interval": "100 ms", "execution.state-recovery.path": str(missing)}, 1000)
    with pytest.raises(Exception, match="no-such-savepoint"):
        t_env.execute_sql(PROGRAMS[0][1])


def test_state_of_an_operator_the_job_does_not_have_is_refused_unless_ignored(tmp_path):
    options = {"execution.checkpointing.interval": "100 ms", "execution.checkpointing.dir": str(tmp_path / "checkpoints")}
    result = table_env(1, options, ROWS // 2).execute_sql(PROGRAMS[1][1])
    collector = Collector(result)
    time.sleep(0.5)
    savepoint = result.get_job_client().stop_with_savepoint(False, str(tmp_path / "savepoints")).result(timeout=120)
    collector.join()
    # The same source (its position is restored), no aggregation.
    other = "SELECT id FROM src WHERE id % 100 = 0"
    restored = dict(options, **{"execution.state-recovery.path": savepoint})
    with pytest.raises(Exception, match="ignore-unclaimed-state"):
        Collector(table_env(1, restored, 1_000_000).execute_sql(other)).join()
    ignoring = dict(restored, **{"execution.state-recovery.ignore-unclaimed-state": "true"})
    rows = Collector(table_env(1, ignoring, 1_000_000).execute_sql(other)).join()
    ids = [values[0] for _, values in rows]
    assert ids and ids[-1] == ROWS and ids[0] > 100, "went on from the source's position"
