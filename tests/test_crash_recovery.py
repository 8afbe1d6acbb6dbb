"""Exactly-once after crashes: a checkpointed job (NumberSequenceSource, parallelism 2, Python
map/reduce or an event-time window, checkpoints every 200 ms, exactly-once FileSink) is
SIGKILLed at random moments and restarted from its latest retained ``chk-<n>`` each time; the
committed output must equal a failure-free run's exactly: no loss, no duplicate."""

import json
import os

import pytest

from crash_harness import committed_lines, crash_and_recover, latest_checkpoint, run_to_end

KILLS = int(os.environ.get("OXFLOW_CRASH_KILLS", "20"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The failure-free output of each variant."""
    cache = {}

    def get(variant):
        if variant not in cache:
            base = tmp_path_factory.mktemp("reference-" + variant)
            run_to_end(variant, base / "out", base / "chk")
            cache[variant] = committed_lines(base / "out")
        return cache[variant]

    return get


@pytest.mark.parametrize("variant", ["rolling", "windowed", "rolling-rocksdb"])
def test_killed_and_restored_runs_commit_exactly_the_failure_free_output(variant, reference, tmp_path):
    # With RocksDB, checkpoints are incremental (RocksDB's files) and every restore reads them.
    expected = reference(variant.partition("-")[0])
    # The rolling counts hold one update per number; the windows count every number once.
    if variant.startswith("rolling"):
        assert sum(expected.values()) == 120_000
    else:
        assert sum(int(line.split(",")[2]) * n for line, n in expected.items()) == 120_000
    killed = crash_and_recover(variant, tmp_path / "out", tmp_path / "chk", kills=KILLS, seed=hash(variant) % 1000)
    assert killed >= KILLS // 2, "most runs must really be killed mid-way (%d of %d were)" % (killed, KILLS)
    got = committed_lines(tmp_path / "out")
    missing = expected - got
    duplicated = got - expected
    assert not missing and not duplicated, "missing %d lines (e.g. %s), extra %d (e.g. %s)" % (
        sum(missing.values()), list(missing)[:3], sum(duplicated.values()), list(duplicated)[:3])
    latest = latest_checkpoint(tmp_path / "chk")
    assert latest is not None
    if variant.endswith("-rocksdb"):
        # The killed runs' retained checkpoints were incremental (the last, after the end of
        # the input, holds the final state in full).
        listed = [json.loads(m.read_text()).get("engines") for m in (tmp_path / "chk").glob("*/chk-*/_metadata")]
        assert any(listed), "incremental checkpoints list engine files"
