"""MATCH_RECOGNIZE queries Flink refuses are refused here at planning with Flink's reason, and the
ones it plans are planned (the statements and PyFlink 2.3's answers are those of
tests/data/pyflink_reference/sql/match_recognize_errors.json; the outputs of valid queries are
compared by test_sql_conformance.py)."""

import json
from pathlib import Path

import pytest

from oxflow.table import EnvironmentSettings, SqlParserException, TableEnvironment, TableException

DATA = Path(__file__).resolve().parent / "data" / "pyflink_reference" / "sql"
CASE = json.loads((DATA / "match_recognize_errors.json").read_text())

# Flink's reason for each refusal: the part of its message (after Java's exception class and the
# SQL position) that oxflow's message has too.
REASONS = [
    "You must specify either rowtime or proctime for order by as the first one.",
    "Primary sort order of a streaming table must be ascending on time.",
    "All rows per match mode is not supported yet.",
    "Greedy quantifiers are not allowed as the last element of a Pattern yet. Finish your pattern with either a simple variable or reluctant quantifier.",
    "Patterns that can produce empty matches are not supported. There must be at least one non-optional state.",
    "The from should be a positive number greater than 0.",
    "Reluctant optional variables are not supported yet.",
    "Currently, CEP doesn't support branching patterns.",
    "Group patterns are not supported yet.",
    "Flink does not support physical offsets within partition.",
    "Unknown pattern 'X'",
    "Table 'X' not found",
    "Multiple pattern variables in",
    "Column 'nope' not found",
    "Unsupported call: CLASSIFIER()",
    "Only constant intervals with millisecond resolution are supported as time constraints of patterns.",
]


@pytest.fixture()
def t_env() -> TableEnvironment:
    header = CASE["program"].split("\n\ndef mr")[0]
    env: dict = {}
    exec(header.replace("from pyflink.", "from oxflow.").replace("{INPUT_DIR}", str(DATA / "inputs")), env)
    return env["t_env"]


def reason(error: str) -> str:
    found = [r for r in REASONS if r in error]
    assert found, f"no known reason in Flink's error: {error}"
    return found[0]


REFUSED = [e for e in CASE["errors"] if e["error_class"] and "SqlParserException" not in e["error"]]
PLANNED = [e for e in CASE["errors"] if not e["error_class"]]


def test_the_case_covers_refusals_and_valid_queries():
    assert len(REFUSED) == 22 and len(PLANNED) == 11


@pytest.mark.parametrize("entry", REFUSED, ids=[e["sql"][-60:] for e in REFUSED])
def test_refused_with_flinks_reason(t_env, entry):
    with pytest.raises(TableException) as e:
        t_env.sql_query(entry["sql"]).explain()
    assert reason(entry["error"]) in str(e.value)


@pytest.mark.parametrize("entry", PLANNED, ids=[e["sql"][-60:] for e in PLANNED])
def test_planned_as_in_flink(t_env, entry):
    plan = t_env.sql_query(entry["sql"]).explain()
    assert "Match(" in plan


def test_the_notes_example_as_written_does_not_parse(t_env):
    entry = next(e for e in CASE["errors"] if "FROM TABLE(MATCH_RECOGNIZE" in e["sql"])
    assert "SqlParserException" in entry["error"]
    with pytest.raises(SqlParserException):
        t_env.sql_query(entry["sql"])


def test_late_rows_are_dropped_and_out_of_order_rows_sorted(t_env):
    # The late ACME row (10:07:15, price 30) would end a match of any rise from 10:05 (price 8);
    # the out-of-order ACME 10:03 row (12) is sorted back between 10:02 (9) and 10:04 (13).
    rows = t_env.sql_query("""
        SELECT * FROM ticks MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY ts
            MEASURES A.ts AS a_ts, B.ts AS b_ts, B.price AS b_price
            ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
            PATTERN (A B) DEFINE B AS B.price > A.price + 2.5)""").execute().collect()
    got = sorted((r[0], str(r[1]), str(r[2]), r[3]) for r in rows)
    # Worked out by hand from ticks.csv; BETA's 10:04:30 (25 after 21) is no match, as the row
    # before it ended the previous match (SKIP PAST LAST ROW); the late BETA row (10:14:45,
    # price 5) would have made one with the 19 after it.
    assert got == [
        ("ACME", "2024-01-01 10:02:00", "2024-01-01 10:03:00", 12.0),
        ("ACME", "2024-01-01 10:08:00", "2024-01-01 10:09:00", 13.0),
        ("ACME", "2024-01-01 10:13:00", "2024-01-01 10:14:00", 15.0),
        ("ACME", "2024-01-01 10:17:00", "2024-01-01 10:18:00", 18.0),
        ("BETA", "2024-01-01 10:02:30", "2024-01-01 10:03:30", 21.0),
        ("BETA", "2024-01-01 10:08:30", "2024-01-01 10:09:30", 30.0),
        ("BETA", "2024-01-01 10:16:30", "2024-01-01 10:17:30", 25.0),
    ]
