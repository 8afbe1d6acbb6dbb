"""State backends: the same keyed programs give the same output with ``state.backend.type``
``hashmap`` and ``rocksdb``, and a savepoint taken with one backend restores into the other."""

import time

import pytest

from conftest import multiset
from oxflow.common import Configuration, Duration, Types, WatermarkStrategy
from oxflow.common.serialization import Encoder
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream import (
    CheckpointingMode,
    EmbeddedRocksDBStateBackend,
    HashMapStateBackend,
    KeyedProcessFunction,
    StreamExecutionEnvironment,
)
from oxflow.datastream.connectors.file_system import BucketAssigner, FileSink
from oxflow.datastream.connectors.number_seq import NumberSequenceSource
from oxflow.datastream.functions import ProcessWindowFunction
from oxflow.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor
from oxflow.datastream.window import TumblingEventTimeWindows

BACKENDS = ["hashmap", "rocksdb"]


def env_for(backend, parallelism, conf=None):
    conf = conf or Configuration()
    conf.set_string("state.backend.type", backend)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    return env


class Stats(KeyedProcessFunction):
    """Value, list and map state per key; emits a summary every third element of a key."""

    def open(self, ctx):
        self.count = ctx.get_state(ValueStateDescriptor("count", Types.INT()))
        self.last = ctx.get_list_state(ListStateDescriptor("last", Types.INT()))
        self.digits = ctx.get_map_state(MapStateDescriptor("digits", Types.INT(), Types.INT()))

    def process_element(self, value, ctx):
        key, n = value
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        self.last.add(n)
        digit = n % 10
        self.digits.put(digit, (self.digits.get(digit) or 0) + 1)
        if count % 3 == 0:
            yield key, count, list(self.last.get()), sorted(self.digits.items())
            self.last.update([n])
        if count % 7 == 0:
            self.digits.clear()


def keyed_process(env):
    data = [("k%d" % (i % 13), i) for i in range(600)]
    return env.from_collection(data).key_by(lambda v: v[0]).process(Stats())


def rolling_reduce(env):
    data = [(i % 17, i) for i in range(800)]
    return env.from_collection(data).key_by(lambda v: v[0]).reduce(lambda a, b: (a[0], a[1] + b[1]))


class Ts(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[2]


class Describe(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield key, w.start, w.end, len(elements), sum(e[1] for e in elements)


def windowed(env):
    data = [("w%d" % (i % 5), i, i * 37 % 5000) for i in range(500)]
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(5000)).with_timestamp_assigner(Ts())
    events = env.from_collection(data).assign_timestamps_and_watermarks(strategy).set_parallelism(1)
    return events.key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Duration.of_millis(500))).process(Describe())


PROGRAMS = {"keyed_process": keyed_process, "rolling_reduce": rolling_reduce, "windowed": windowed}


@pytest.mark.parametrize("parallelism", [1, 2], ids=lambda p: "p%d" % p)
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_programs_give_the_same_output_in_both_backends(program, parallelism):
    outputs = {b: list(PROGRAMS[program](env_for(b, parallelism)).execute_and_collect()) for b in BACKENDS}
    assert outputs["hashmap"], "the program emits something"
    if parallelism == 1:
        # One instance sees its input in one order: the very same sequence.
        assert outputs["rocksdb"] == outputs["hashmap"]
    else:
        assert multiset(outputs["rocksdb"]) == multiset(outputs["hashmap"])


def test_the_backend_follows_the_configuration_and_set_state_backend():
    assert env_for("RocksDB", 1).get_state_backend().type_name == "rocksdb"
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    env.set_state_backend(EmbeddedRocksDBStateBackend())
    assert list(rolling_reduce(env).execute_and_collect())[-1] == (799 % 17, sum(i for i in range(800) if i % 17 == 799 % 17))
    env.set_state_backend(HashMapStateBackend())
    assert len(list(rolling_reduce(env).execute_and_collect())) == 800


def test_an_unknown_backend_is_refused_naming_the_key():
    env = env_for("leveldb", 1)
    with pytest.raises(ValueError, match="state.backend.type"):
        rolling_reduce(env).execute_and_collect()


def test_rocksdb_keeps_its_files_in_the_local_directory_and_removes_them(tmp_path):
    conf = Configuration()
    conf.set_string("state.backend.rocksdb.localdir", str(tmp_path))
    seen = []

    def look(v):
        # While the job runs, its RocksDB instance is in the local directory.
        if not seen:
            seen.append([p.name for p in tmp_path.glob("oxflow-state-*/*")])
        return v

    env = env_for("rocksdb", 1, conf)
    out = list(rolling_reduce(env).map(look).execute_and_collect())
    assert len(out) == 800
    assert seen[0], "the reduce's RocksDB instance lives under state.backend.rocksdb.localdir"
    assert not list(tmp_path.iterdir()), "the working directory is removed when the job ends"


# ---- Savepoints across backends ----

NUMBERS = 6000


def slowly(n):
    # Slow enough (about 1.5 s in all) that the savepoint comes mid-way.
    if n % 20 == 0:
        time.sleep(0.01)
    return (n % 7, n)


class Running(KeyedProcessFunction):
    """Value and list state; what it emits does not depend on how the two sources interleave."""

    def open(self, ctx):
        self.count = ctx.get_state(ValueStateDescriptor("count", Types.INT()))
        self.recent = ctx.get_list_state(ListStateDescriptor("recent", Types.LONG()))

    def process_element(self, value, ctx):
        count = (self.count.value() or 0) + 1
        self.count.update(count)
        recent = (list(self.recent.get()) + [value[1]])[-3:]
        self.recent.update(recent)
        if count % 50 == 0:
            yield "p,%d,%d,%d" % (value[0], count, len(recent))


class ByNumber(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


def checkpointed_job(backend, out_dir, restore=None):
    """Rolling counts, a keyed process function and 1-second event-time windows over a slow
    NumberSequenceSource at parallelism 2, into an exactly-once FileSink. Every output is
    independent of how the two source instances interleave (counts, not sums)."""
    conf = Configuration()
    if restore:
        conf.set_string("execution.state-recovery.path", restore)
    env = env_for(backend, 2, conf)
    env.enable_checkpointing(100, CheckpointingMode.EXACTLY_ONCE)
    pairs = env.from_source(NumberSequenceSource(1, NUMBERS), None, "numbers").uid("numbers").map(slowly).uid("pairs")
    counts = (
        pairs.map(lambda p: (p[0], 1)).uid("ones")
        .key_by(lambda p: p[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1])).uid("counts")
        .map(lambda c: "r,%d,%d" % c, output_type=Types.STRING()).uid("fmt-r")
    )
    processed = pairs.key_by(lambda p: p[0]).process(Running(), output_type=Types.STRING()).uid("running")
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(100)).with_timestamp_assigner(ByNumber())
    windows = (
        pairs.assign_timestamps_and_watermarks(strategy).uid("ts")
        .key_by(lambda p: p[0])
        .window(TumblingEventTimeWindows.of(Duration.of_seconds(1)))
        .process(Describe()).uid("windows")
        .map(lambda w: "w,%s,%d,%d,%d,%d" % w, output_type=Types.STRING()).uid("fmt-w")
    )
    sink = FileSink.for_row_format(str(out_dir), Encoder.simple_string_encoder()).with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()
    counts.union(processed, windows).sink_to(sink).uid("sink")
    return env


def committed(out_dir):
    lines = []
    for part in out_dir.rglob("*"):
        if part.is_file() and not part.name.startswith("."):
            lines.extend(part.read_text().splitlines())
    return multiset(lines)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    checkpointed_job("hashmap", out).execute("reference")
    return committed(out)


@pytest.mark.parametrize("before,after", [("rocksdb", "hashmap"), ("hashmap", "rocksdb")])
def test_a_savepoint_restores_into_the_other_backend(before, after, reference, tmp_path):
    out, savepoints = tmp_path / "out", tmp_path / "savepoints"
    client = checkpointed_job(before, out).execute_async("before")
    # Once a periodic checkpoint has committed some output, the job is well under way.
    deadline = time.monotonic() + 30
    while not committed(out) and time.monotonic() < deadline:
        time.sleep(0.02)
    savepoint = client.stop_with_savepoint(savepoint_directory=str(savepoints)).result()
    partial = committed(out)
    assert 0 < sum(partial.values()) < sum(reference.values()), "the savepoint is taken mid-way"
    checkpointed_job(after, out, restore=savepoint).execute("after")
    assert committed(out) == reference
