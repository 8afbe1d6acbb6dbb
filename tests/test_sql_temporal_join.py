"""Event-time temporal joins (`FOR SYSTEM_TIME AS OF`) through the public API: the refusals
Flink makes at planning time (its words are in temporal_join_errors.json), and the accepted joins
with extra ON conditions. The joins' outputs are compared with real PyFlink's by the
conformance cases temporal_join_*.json (test_sql_conformance.py)."""

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "pyflink_reference" / "sql"
INPUTS = DATA / "inputs"


def _case():
    return json.loads((DATA / "temporal_join_errors.json").read_text())


def _t_env():
    program = _case()["program"].replace("{INPUT_DIR}", str(INPUTS)).replace("from pyflink.", "from oxflow.")
    scope = {}
    # The case's tables, without its loop over the statements.
    exec(program.split("statements = [")[0], scope)
    return scope["t_env"]


def _flink_sentence(error: str) -> str:
    """The first sentence of Flink's exception message (past the Java class name)."""
    line = next(l for l in error.splitlines() if "Exception: " in l)
    return line.split("Exception: ", 1)[1].split(". The physical plan")[0].rstrip(".")


@pytest.mark.parametrize("index", range(len(_case()["errors"])))
def test_temporal_join_planning_as_flink(index):
    entry = _case()["errors"][index]
    t_env = _t_env()
    if entry["error_class"] is None:
        t_env.sql_query(entry["sql"]).explain()
        return
    with pytest.raises(Exception) as info:
        t_env.sql_query(entry["sql"]).explain()
    assert _flink_sentence(entry["error"]) in str(info.value)

