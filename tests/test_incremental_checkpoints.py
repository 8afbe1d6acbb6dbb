"""Incremental RocksDB checkpoints through the public API: a job with the RocksDB backend is
cancelled mid-way (checkpoints retained), then restored from its latest ``chk-<n>`` at another
parallelism; the committed output of both runs must equal the golden straight run's (memory
backend). Savepoints stay full and backend-neutral; an incremental checkpoint does not restore
into the memory backend, and says so."""

import json
import time
from pathlib import Path

import pytest

from crash_harness import committed_lines, latest_checkpoint
from oxflow.common import Configuration, Types
from oxflow.common.restart_strategy import RestartStrategies
from oxflow.common.serialization import Encoder
from oxflow.datastream import EmbeddedRocksDBStateBackend, ExternalizedCheckpointRetention, StreamExecutionEnvironment
from oxflow.datastream.connectors.file_system import BucketAssigner, FileSink
from test_restore_golden import PIPELINES


def environment(tmp_path, parallelism, backend, restore=None, incremental=None):
    conf = Configuration()
    conf.set_string("execution.checkpointing.dir", str(tmp_path / "chk"))
    conf.set_string("state.backend.type", backend)
    if incremental is not None:
        conf.set_string("execution.checkpointing.incremental", incremental)
    if restore:
        conf.set_string("execution.state-recovery.path", str(restore))
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    env.enable_checkpointing(100)
    env.get_checkpoint_config().set_externalized_checkpoint_retention(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION)
    env.set_restart_strategy(RestartStrategies.no_restart())
    return env


def build(env, pipeline, out):
    sink = FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()
    PIPELINES[pipeline](env).map(repr, output_type=Types.STRING()).uid("format").sink_to(sink).uid("sink")


def metadata(chk):
    return json.loads((Path(chk) / "_metadata").read_text())


def cancelled_mid_way(tmp_path, pipeline, parallelism, backend="rocksdb", incremental=None):
    """Runs `pipeline` until a few checkpoints completed, cancels it; returns the latest."""
    env = environment(tmp_path, parallelism, backend, incremental=incremental)
    build(env, pipeline, tmp_path / "out")
    client = env.execute_async(pipeline)
    deadline = time.time() + 30
    while time.time() < deadline:
        chk = latest_checkpoint(tmp_path / "chk")
        if chk is not None and int(chk.name[4:]) >= 3:
            break
        time.sleep(0.02)
    client.cancel().result()
    chk = latest_checkpoint(tmp_path / "chk")
    assert chk is not None, "checkpoints completed before the cancel"
    return chk


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    cache = {}

    def get(pipeline):
        if pipeline not in cache:
            base = tmp_path_factory.mktemp("golden-" + pipeline)
            env = environment(base, 2, "hashmap")
            build(env, pipeline, base / "out")
            env.execute(pipeline)
            cache[pipeline] = committed_lines(base / "out")
        return cache[pipeline]

    return get


@pytest.mark.parametrize("pipeline,before,after", [("rolling", 2, 3), ("process_function", 3, 2), ("tumbling", 2, 1)])
def test_an_incremental_checkpoint_restores_at_another_parallelism(pipeline, before, after, golden, tmp_path):
    expected = golden(pipeline)
    chk = cancelled_mid_way(tmp_path, pipeline, before)
    engines = metadata(chk)["engines"]
    assert sorted(e["subtask"] for e in engines) == list(range(before)), "every keyed instance's RocksDB files"
    shared = [f for e in engines for f in e["files"] if f["path"].startswith("../shared/")]
    assert shared and all((chk / f["path"]).is_file() for f in shared)
    assert sum(committed_lines(tmp_path / "out").values()) < sum(expected.values()), "cancelled mid-way"
    env = environment(tmp_path, after, "rocksdb", restore=chk)
    build(env, pipeline, tmp_path / "out")
    env.execute(pipeline)
    got = committed_lines(tmp_path / "out")
    assert got == expected, "missing %s, extra %s" % (list((expected - got).items())[:3], list((got - expected).items())[:3])


def test_only_the_latest_checkpoint_is_kept_with_the_files_it_references(tmp_path):
    chk = cancelled_mid_way(tmp_path, "rolling", 2)
    job = chk.parent
    assert [d.name for d in job.iterdir() if d.name.startswith("chk-")] == [chk.name], "num-retained 1"
    referenced = {Path(f["path"]).name for e in metadata(chk)["engines"] for f in e["files"] if f["path"].startswith("../shared/")}
    assert {p.name for p in (job / "shared").iterdir()} == referenced, "files of subsumed checkpoints are deleted"


def test_savepoints_stay_full_and_incremental_checkpoints_refuse_the_memory_backend(tmp_path):
    env = environment(tmp_path, 2, "rocksdb")
    build(env, "rolling", tmp_path / "out")
    client = env.execute_async("rolling")
    time.sleep(0.5)
    savepoint = client.stop_with_savepoint(False, str(tmp_path / "savepoints")).result(timeout=60)
    assert "engines" not in metadata(savepoint), "a savepoint holds every entry in the neutral format"
    chk = latest_checkpoint(tmp_path / "chk") or cancelled_mid_way(tmp_path / "again", "rolling", 2)
    env = environment(tmp_path, 2, "hashmap", restore=chk)
    build(env, "rolling", tmp_path / "out2")
    with pytest.raises(Exception) as error:
        env.execute("rolling")
    message = str(error.value)
    assert str(chk) in message and "RocksDB" in message and "savepoint" in message, message


@pytest.mark.parametrize("how", ["key", "backend"])
def test_incremental_checkpoints_can_be_switched_off(how, tmp_path):
    if how == "key":
        chk = cancelled_mid_way(tmp_path, "rolling", 2, incremental="false")
    else:
        env = environment(tmp_path, 2, "hashmap")
        env.set_state_backend(EmbeddedRocksDBStateBackend(enable_incremental_checkpointing=False))
        build(env, "rolling", tmp_path / "out")
        client = env.execute_async("rolling")
        deadline = time.time() + 30
        while latest_checkpoint(tmp_path / "chk") is None and time.time() < deadline:
            time.sleep(0.02)
        client.cancel().result()
        chk = latest_checkpoint(tmp_path / "chk")
    assert "engines" not in metadata(chk), "full checkpoints hold every entry in the neutral format"
