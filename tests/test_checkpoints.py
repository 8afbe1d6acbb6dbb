"""Checkpoints, savepoints, recovery and restart strategies through the public API: Flink's
configuration keys and CheckpointConfig, the checkpoint layout, restores that refuse bad or
unclaimed snapshots, state that cannot be pickled, and in-process restarts."""

import json
import os
import threading
import time
from pathlib import Path

import pytest

from crash_harness import committed_lines, latest_checkpoint
from oxflow.common import Configuration, Types
from oxflow.common.restart_strategy import RestartStrategies
from oxflow.common.serialization import Encoder
from oxflow.datastream import (
    BroadcastProcessFunction,
    CheckpointingMode,
    ExternalizedCheckpointRetention,
    KeyedProcessFunction,
    StreamExecutionEnvironment,
)
from oxflow.datastream.connectors.file_system import BucketAssigner, FileSink
from oxflow.datastream.connectors.number_seq import NumberSequenceSource
from oxflow.datastream.state import MapStateDescriptor, ValueStateDescriptor


def env_for(tmp_path, parallelism=2, **keys):
    conf = Configuration()
    conf.set_string("execution.checkpointing.dir", str(tmp_path / "chk"))
    for k, v in keys.items():
        conf.set_string(k.replace("__", "-").replace("_", "."), v)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    return env


def file_sink(path):
    return FileSink.for_row_format(str(path), Encoder.simple_string_encoder()).with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()


def slow(n):
    # About 0.5 ms per number: jobs run long enough to be checkpointed, stopped and resumed.
    if n % 10 == 0:
        time.sleep(0.005)
    return n


def counts(env, out, numbers=3000, slow_fn=slow):
    """Running counts per key (n % 5) into an exactly-once file sink."""
    (
        env.from_source(NumberSequenceSource(1, numbers), None, "numbers").uid("numbers")
        .map(slow_fn).uid("slow")
        .map(lambda n: (n % 5, 1)).uid("ones")
        .key_by(lambda p: p[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1])).uid("counts")
        .map(lambda c: "%d,%d" % c, output_type=Types.STRING()).uid("format")
        .sink_to(file_sink(out)).uid("sink")
    )


def expected_counts(numbers=3000):
    per_key = {k: 0 for k in range(5)}
    lines = []
    for n in range(1, numbers + 1):
        per_key[n % 5] += 1
        lines.append("%d,%d" % (n % 5, per_key[n % 5]))
    return sorted(lines)


def lines(out):
    return sorted(committed_lines(Path(out)).elements())


def test_the_reference_notes_checkpoint_configuration_runs_unchanged(tmp_path):
    from oxflow.common import CheckpointingMode as FromCommon

    env = env_for(tmp_path)
    env.enable_checkpointing(60000)
    env.get_checkpoint_config().set_checkpointing_mode(FromCommon.EXACTLY_ONCE)
    env.get_checkpoint_config().set_min_pause_between_checkpoints(30000)
    env.get_checkpoint_config().set_checkpoint_timeout(600000)
    env.get_checkpoint_config().set_max_concurrent_checkpoints(1)
    env.get_checkpoint_config().set_externalized_checkpoints(cleanup_mode="RETAIN_ON_CANCELLATION")
    config = env.get_checkpoint_config()
    assert (config.get_checkpoint_interval(), config.get_min_pause_between_checkpoints(), config.get_checkpoint_timeout()) == (60000, 30000, 600000)
    assert config.get_externalized_checkpoint_retention() == ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION
    assert env.get_checkpointing_mode() == CheckpointingMode.EXACTLY_ONCE
    counts(env, tmp_path / "out", numbers=200, slow_fn=lambda n: n)
    env.execute("notes")
    assert lines(tmp_path / "out") == expected_counts(200)


def test_flink_configuration_keys_set_checkpointing():
    conf = Configuration()
    conf.set_string("execution.checkpointing.interval", "3 s")
    conf.set_string("execution.checkpointing.mode", "AT_LEAST_ONCE")
    conf.set_string("execution.checkpointing.timeout", "1 min")
    conf.set_string("execution.checkpointing.min-pause", "500 ms")
    conf.set_string("execution.checkpointing.max-concurrent-checkpoints", "2")
    conf.set_string("execution.checkpointing.tolerable-failed-checkpoints", "3")
    conf.set_string("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    c = StreamExecutionEnvironment.get_execution_environment(conf).get_checkpoint_config()
    assert c.is_checkpointing_enabled() and c.get_checkpoint_interval() == 3000
    assert c.get_checkpointing_mode() == CheckpointingMode.AT_LEAST_ONCE
    assert (c.get_checkpoint_timeout(), c.get_min_pause_between_checkpoints()) == (60000, 500)
    assert (c.get_max_concurrent_checkpoints(), c.get_tolerable_checkpoint_failure_number()) == (2, 3)
    assert c.is_externalized_checkpoints_enabled()
    bad = Configuration()
    bad.set_string("execution.checkpointing.interval", "soon")
    with pytest.raises(ValueError, match="execution.checkpointing.interval"):
        StreamExecutionEnvironment.get_execution_environment(bad)


def test_checkpoints_are_laid_out_as_flinks_under_the_job_id(tmp_path):
    env = env_for(tmp_path, execution_checkpointing_interval="50 ms")
    counts(env, tmp_path / "out", numbers=3000)
    result = env.execute("layout")
    job_dirs = list((tmp_path / "chk").iterdir())
    assert [d.name for d in job_dirs] == [str(result.get_job_id())]
    chk = latest_checkpoint(tmp_path / "chk")
    assert chk is not None and chk.parent == job_dirs[0] and chk.name.startswith("chk-")
    metadata = json.loads((chk / "_metadata").read_text())
    assert metadata["checkpoint_id"] == int(chk.name[4:]) and metadata["kind"] == "checkpoint"
    assert {"numbers", "counts", "sink"} <= set(metadata["operators"])
    assert lines(tmp_path / "out") == expected_counts()


def test_a_job_resumes_from_a_retained_checkpoint_at_another_parallelism(tmp_path):
    env = env_for(tmp_path, parallelism=3)
    env.enable_checkpointing(50)
    env.get_checkpoint_config().set_externalized_checkpoint_retention(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION)
    counts(env, tmp_path / "out", numbers=6000)
    client = env.execute_async("first")
    deadline = time.time() + 30
    while latest_checkpoint(tmp_path / "chk") is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    client.cancel().result()
    chk = latest_checkpoint(tmp_path / "chk")
    assert chk is not None, "a checkpoint completed before the cancel"
    assert len(lines(tmp_path / "out")) < 6000, "the job was cancelled mid-way"
    env = env_for(tmp_path, parallelism=2, execution_state__recovery_path=str(chk))
    env.enable_checkpointing(50)
    counts(env, tmp_path / "out", numbers=6000)
    env.execute("second")
    assert lines(tmp_path / "out") == expected_counts(6000)


def test_savepoints_stop_a_job_and_restore_it(tmp_path):
    env = env_for(tmp_path, parallelism=1)
    env.enable_checkpointing(10_000)
    counts(env, tmp_path / "out", numbers=6000)
    client = env.execute_async("first")
    time.sleep(0.3)
    savepoint = client.stop_with_savepoint(False, str(tmp_path / "savepoints")).result(timeout=60)
    assert Path(savepoint).parent == tmp_path / "savepoints" and Path(savepoint).name.startswith("savepoint-")
    assert json.loads((Path(savepoint) / "_metadata").read_text())["kind"] == "savepoint"
    assert 0 < len(lines(tmp_path / "out")) < 6000, "the savepoint's output is committed, the rest is not"
    env = env_for(tmp_path, parallelism=4, execution_savepoint_path=savepoint)  # the 1.x key
    env.enable_checkpointing(10_000)
    counts(env, tmp_path / "out", numbers=6000)
    env.execute("second")
    assert lines(tmp_path / "out") == expected_counts(6000)


def test_trigger_savepoint_keeps_the_job_running_and_needs_a_directory(tmp_path):
    env = env_for(tmp_path)
    env.enable_checkpointing(10_000)
    env.set_default_savepoint_directory(str(tmp_path / "sp"))
    counts(env, tmp_path / "out", numbers=3000)
    client = env.execute_async("sp")
    path = client.trigger_savepoint().result(timeout=60)
    assert Path(path).parent == tmp_path / "sp" and (Path(path) / "_metadata").is_file()
    client.get_job_execution_result().result(timeout=60)
    assert lines(tmp_path / "out") == expected_counts()


def test_a_missing_or_corrupt_snapshot_is_an_error_naming_the_file(tmp_path):
    env = env_for(tmp_path, execution_state__recovery_path=str(tmp_path / "nope" / "chk-3"))
    counts(env, tmp_path / "out", numbers=10, slow_fn=lambda n: n)
    with pytest.raises(Exception, match=r"nope.*chk-3.*does not exist"):
        env.execute()
    # A real checkpoint, damaged in turn.
    env = env_for(tmp_path)
    env.enable_checkpointing(10_000)
    counts(env, tmp_path / "out1", numbers=100, slow_fn=lambda n: n)
    env.execute()
    chk = latest_checkpoint(tmp_path / "chk")
    task_file = sorted(chk.glob("task-*.state"))[0]
    task_file.write_bytes(task_file.read_bytes()[:-3])
    env = env_for(tmp_path, execution_state__recovery_path=str(chk))
    counts(env, tmp_path / "out2", numbers=100, slow_fn=lambda n: n)
    with pytest.raises(Exception, match=r"%s.*corrupt" % task_file.name):
        env.execute()
    (chk / "_metadata").write_text("{not json")
    with pytest.raises(Exception, match=r"_metadata.*corrupt"):
        env = env_for(tmp_path, execution_state__recovery_path=str(chk))
        counts(env, tmp_path / "out3", numbers=100, slow_fn=lambda n: n)
        env.execute()
    (chk / "_metadata").unlink()
    with pytest.raises(Exception, match=r"not a completed checkpoint.*_metadata.*is missing"):
        env = env_for(tmp_path, execution_state__recovery_path=str(chk))
        counts(env, tmp_path / "out4", numbers=100, slow_fn=lambda n: n)
        env.execute()


def test_state_of_a_removed_operator_is_refused_unless_ignored(tmp_path):
    env = env_for(tmp_path)
    env.enable_checkpointing(10_000)
    counts(env, tmp_path / "out", numbers=100, slow_fn=lambda n: n)
    env.execute()
    chk = str(latest_checkpoint(tmp_path / "chk"))

    def without_counts(**keys):
        env = env_for(tmp_path, execution_state__recovery_path=chk, **keys)
        (
            env.from_source(NumberSequenceSource(1, 100), None, "numbers").uid("numbers")
            .map(lambda n: str(n), output_type=Types.STRING()).uid("format-v2")
            .sink_to(file_sink(tmp_path / "v2")).uid("sink")
        )
        return env

    with pytest.raises(Exception, match=r"'counts'.*ignore-unclaimed-state"):
        without_counts().execute()
    without_counts(execution_state__recovery_ignore__unclaimed__state="true").execute()
    # The restored source had read everything already.
    assert lines(tmp_path / "v2") == []


class RemembersALock(KeyedProcessFunction):
    def open(self, runtime_context):
        self.state = runtime_context.get_state(ValueStateDescriptor("the-lock", Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx):
        self.state.update(threading.Lock())
        yield value


def test_state_that_cannot_be_pickled_fails_the_checkpoint_naming_the_state(tmp_path):
    env = env_for(tmp_path, parallelism=1)
    env.enable_checkpointing(20)
    # With checkpointing, Flink's default restarts forever (exponential delay): a failure that
    # repeats would keep the job restarting.
    env.set_restart_strategy(RestartStrategies.no_restart())
    (
        env.from_source(NumberSequenceSource(1, 2000), None, "numbers")
        .map(slow)
        .key_by(lambda n: n % 3)
        .process(RemembersALock())
        .map(str, output_type=Types.STRING())
        .sink_to(file_sink(tmp_path / "out"))
    )
    with pytest.raises(Exception, match=r"state 'the-lock'.*pickle"):
        env.execute()


def fail_once(marker):
    def f(n):
        if n == 1500 and not os.path.exists(marker):
            open(marker, "w").close()
            raise ValueError("injected failure at %d" % n)
        return slow(n)

    return f


def test_a_failed_job_restarts_from_its_latest_checkpoint(tmp_path, capfd):
    env = env_for(tmp_path)
    env.enable_checkpointing(30)
    env.set_restart_strategy(RestartStrategies.fixed_delay_restart(2, 50))
    counts(env, tmp_path / "out", numbers=3000, slow_fn=fail_once(str(tmp_path / "failed")))
    env.execute("restarts")
    assert (tmp_path / "failed").exists()
    assert lines(tmp_path / "out") == expected_counts(), "exactly once across the restart"
    assert "injected failure at 1500" in capfd.readouterr().err


def test_restart_strategies_from_configuration_and_their_limits(tmp_path):
    env = env_for(tmp_path, restart__strategy_type="fixed-delay", restart__strategy_fixed__delay_attempts="1",
                  restart__strategy_fixed__delay_delay="10 ms")
    env.enable_checkpointing(30)

    def always_fails(n):
        if n == 10:
            raise ValueError("always fails")
        return n

    counts(env, tmp_path / "out", numbers=100, slow_fn=always_fails)
    with pytest.raises(ValueError, match="always fails"):
        env.execute("gives up after one restart")
    # Without checkpointing the default is no restart.
    env = env_for(tmp_path)
    counts(env, tmp_path / "out2", numbers=100, slow_fn=always_fails)
    with pytest.raises(ValueError, match="always fails"):
        env.execute()
    with pytest.raises(ValueError, match="restart-strategy.type"):
        env = env_for(tmp_path, restart__strategy_type="sometimes")
        counts(env, tmp_path / "out3", numbers=10)
        env.execute()


MULTIPLIER = MapStateDescriptor("multiplier", Types.STRING(), Types.INT())


class Multiply(BroadcastProcessFunction):
    def process_element(self, value, ctx):
        yield "%d,%d" % (value, value * (ctx.get_broadcast_state(MULTIPLIER).get("by") or 1))

    def process_broadcast_element(self, value, ctx):
        ctx.get_broadcast_state(MULTIPLIER).put("by", value)


@pytest.mark.parametrize("before,after", [(1, 3), (2, 1)])
def test_broadcast_state_is_checkpointed_and_restored_on_every_instance(tmp_path, before, after):
    def build(parallelism, restore=None):
        env = env_for(tmp_path, parallelism=parallelism, **({"execution_state__recovery_path": restore} if restore else {}))
        env.enable_checkpointing(60_000)
        rules = env.from_collection([3], type_info=Types.INT()).uid("rules").broadcast(MULTIPLIER)
        numbers = env.from_source(NumberSequenceSource(1, 3000), None, "numbers").uid("numbers").map(slow).uid("slow")
        numbers.connect(rules).process(Multiply(), Types.STRING()).uid("multiply").sink_to(file_sink(tmp_path / "out")).uid("sink")
        return env

    client = build(before).execute_async("first")
    time.sleep(0.5)
    savepoint = client.stop_with_savepoint(False, str(tmp_path / "sp")).result(timeout=60)
    first = set(lines(tmp_path / "out"))
    assert 0 < len(first) < 3000
    # The rules source is exhausted in the savepoint: the restored instances only have the
    # broadcast state to go by.
    build(after, restore=savepoint).execute("second")
    later = [line for line in lines(tmp_path / "out") if line not in first]
    assert len(first) + len(later) == 3000
    assert all(int(v) == 3 * int(n) for n, v in (line.split(",") for line in later)), later[:5]
