"""State time-to-live as Flink applies it: per value, per list element and per map key; update
types, visibilities and the cleanup strategies. TTLs are short and the sleeps around them long,
so a slow machine changes nothing: every wait is far from the TTL it is compared with."""

import time

import pytest

from conftest import collect, multiset
from test_keyed_state_and_timers import AllStates
from oxflow.common import Configuration, Time, Types
from oxflow.datastream import KeyedProcessFunction, StreamExecutionEnvironment
from oxflow.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    StateTtlConfig,
    ValueStateDescriptor,
)


def ttl(ms, *steps):
    builder = StateTtlConfig.new_builder(Time.milliseconds(ms))
    for step in steps:
        builder = step(builder)
    return builder.build()


def return_expired(b):
    return b.return_expired_if_not_cleaned_up()


def no_background_cleanup(b):
    return b.disable_cleanup_in_background()


# What each command does to the states; the ones ending in "?" are reads whose result is emitted.
OPS = {
    "v=": lambda f, x: f.v.update(x),
    "v?": lambda f, x: f.v.value(),
    "l+": lambda f, x: f.l.add(x),
    "l=": lambda f, x: f.l.update(x),
    "l?": lambda f, x: list(f.l.get()),
    "m=": lambda f, x: f.m.put(x, len(x)),
    "m?": lambda f, x: f.m.get(x),
    "m in?": lambda f, x: f.m.contains(x),
    "m keys?": lambda f, x: list(f.m.keys()),
    "m empty?": lambda f, x: f.m.is_empty(),
    "r+": lambda f, x: f.r.add(x),
    "r?": lambda f, x: f.r.get(),
    "a+": lambda f, x: f.a.add(x),
    "a?": lambda f, x: f.a.get(),
    "nop": lambda f, x: None,
}


class Script(KeyedProcessFunction):
    """Runs ``(key, op, arg, pause_s)`` commands on a value, list, map, reducing and aggregating
    state sharing one TTL config; reads emit ``(key, op, result)``; then it sleeps ``pause_s``."""

    def __init__(self, config):
        self.config = config

    def open(self, rc):
        def with_ttl(descriptor):
            descriptor.enable_time_to_live(self.config)
            return descriptor

        self.v = rc.get_state(with_ttl(ValueStateDescriptor("v", Types.INT())))
        self.l = rc.get_list_state(with_ttl(ListStateDescriptor("l", Types.INT())))
        self.m = rc.get_map_state(with_ttl(MapStateDescriptor("m", Types.STRING(), Types.INT())))
        self.r = rc.get_reducing_state(with_ttl(ReducingStateDescriptor("r", lambda a, b: a + b, Types.INT())))
        self.a = rc.get_aggregating_state(with_ttl(AggregatingStateDescriptor("a", AllStates.Avg(), Types.PICKLED_BYTE_ARRAY())))

    def process_element(self, command, ctx):
        key, op, arg, pause = command
        result = OPS[op](self, arg)
        if op.endswith("?"):
            yield key, op, result
        time.sleep(pause)


def run(config, commands, parallelism):
    return collect(lambda env: env.from_collection(commands).key_by(lambda c: c[0]).process(Script(config)), parallelism)


WRITE_ALL = [("v=", 5), ("l+", 5), ("m=", "k"), ("r+", 1), ("a+", 2)]
READ_ALL = [("v?", None), ("l?", None), ("m?", "k"), ("m in?", "k"), ("m keys?", None), ("m empty?", None), ("r?", None), ("a?", None)]


def script(key, *steps):
    """Commands of ``key``: each step is (op, arg) or (op, arg, pause_s)."""
    return [(key, s[0], s[1], s[2] if len(s) > 2 else 0) for s in steps]


def test_every_state_kind_expires_and_an_expired_entry_is_never_returned(parallelism):
    commands = (
        script("a", *WRITE_ALL, *READ_ALL[:-1], ("a?", None, 0.8), *READ_ALL)
        # add() after the accumulator expired starts from nothing.
        + script("b", ("r+", 1, 0.8), ("r+", 2), ("r?", None))
    )
    out = run(ttl(400), commands, parallelism)
    fresh = [5, [5], 1, True, ["k"], False, 1, 2.0]
    expired = [None, [], None, False, [], True, None, None]
    assert [r for k, _, r in out if k == "a"] == fresh + expired
    assert [r for k, _, r in out if k == "b"] == [2]


def test_list_state_expires_per_element_and_map_state_per_key(parallelism):
    # Element 1 and k1 are 2 s old at the reads, element 2 and k2 1 s (the TTL is 1.5 s).
    commands = script("a", ("l+", 1), ("m=", "k1", 1.0), ("l+", 2), ("m=", "k2", 1.0), ("l?", None), ("m keys?", None), ("m?", "k1"), ("m?", "k2"))
    assert run(ttl(1500), commands, parallelism) == [("a", "l?", [2]), ("a", "m keys?", ["k2"]), ("a", "m?", None), ("a", "m?", 2)]


class UpdateTypes(KeyedProcessFunction):
    """A value, list and map state per update type; reads all of them every 250 ms for 1.5 s
    (the TTL is 600 ms)."""

    def open(self, rc):
        self.states = {}
        for name, update in (("read", StateTtlConfig.Builder.update_ttl_on_read_and_write), ("write", StateTtlConfig.Builder.update_ttl_on_create_and_write)):
            config = ttl(600, update)
            v, l, m = ValueStateDescriptor("v" + name, Types.INT()), ListStateDescriptor("l" + name, Types.INT()), MapStateDescriptor("m" + name, Types.STRING(), Types.INT())
            for d in (v, l, m):
                d.enable_time_to_live(config)
            self.states[name] = (rc.get_state(v), rc.get_list_state(l), rc.get_map_state(m))

    def process_element(self, value, ctx):
        for v, l, m in self.states.values():
            v.update(1)
            l.add(1)
            m.put("k", 1)
        for _ in range(6):
            time.sleep(0.25)
            for name, (v, l, m) in self.states.items():
                yield name, (v.value(), list(l.get()), m.get("k"))


def test_on_read_and_write_refreshes_on_create_and_write_does_not(parallelism):
    out = collect(lambda env: env.from_collection(["x"]).key_by(lambda v: v).process(UpdateTypes()), parallelism)
    assert [r for name, r in out if name == "read"] == [(1, [1], 1)] * 6, "every read refreshed"
    assert [r for name, r in out if name == "write"][-1] == (None, [], None), "1.5 s after the only write"


def test_return_expired_if_not_cleaned_up_returns_an_expired_entry_once(parallelism):
    config = ttl(100, return_expired, no_background_cleanup)
    reads = [("v?", None), ("l?", None), ("m?", "k"), ("r?", None), ("a?", None)]
    commands = (
        script("a", *WRITE_ALL[:-1], ("a+", 2, 0.4), *reads, *reads)
        + script("m", ("m=", "k", 0.4), ("m empty?", None), ("m keys?", None), ("m keys?", None), ("m empty?", None))
        # As PyFlink's ReducingState, add() combines with what a read returns: the expired value.
        + script("r", ("r+", 1, 0.4), ("r+", 2), ("r?", None))
    )
    out = run(config, commands, parallelism)
    assert [r for k, _, r in out if k == "a"] == [5, [5], 1, 1, 2.0] + [None, [], None, None, None]
    assert [r for k, _, r in out if k == "m"] == [False, ["k"], [], True]
    assert [r for k, _, r in out if k == "r"] == [3]


MANY = 200


@pytest.mark.parametrize(
    "cleanup, others, cleaned",
    [
        (lambda b: b, "v=", True),  # Flink's default: 5 entries checked per state access
        (no_background_cleanup, "v=", False),
        (lambda b: b.cleanup_incrementally(5, True), "nop", True),  # per record, without accesses
        (lambda b: b.cleanup_incrementally(5, False), "nop", False),
    ],
    ids=["default-on-access", "disabled", "every-record", "on-access-only"],
)
def test_incremental_cleanup_frees_entries_nobody_reads(parallelism, cleanup, others, cleaned):
    # "old" expires during its pause; then other keys' records arrive (writing their state, or
    # not touching state at all). ReturnExpiredIfNotCleanedUp shows whether "old" is still there.
    config = ttl(100, return_expired, cleanup)
    commands = script("old", ("v=", 1, 0.4)) + [("k%d" % i, others, i, 0) for i in range(MANY)] + script("old", ("v?", None))
    assert run(config, commands, parallelism) == [("old", "v?", None if cleaned else 1)]


def test_cleanup_in_rocksdb_compact_filter_is_accepted_and_keeps_the_default_cleanup(parallelism):
    config = ttl(100, return_expired, lambda b: b.cleanup_in_rocksdb_compact_filter(1000))
    commands = script("old", ("v=", 1, 0.4)) + [("k%d" % i, "v=", i, 0) for i in range(MANY)] + script("old", ("v?", None))
    assert run(config, commands, parallelism) == [("old", "v?", None)]


def checkpointed_run(tmp_path, parallelism, config, commands, restore=None):
    conf = Configuration()
    conf.set_string("execution.checkpointing.dir", str(tmp_path / "checkpoints"))
    if restore:
        conf.set_string("execution.state-recovery.path", restore)
        # The restored job reads other commands: its source does not take the old one's position.
        conf.set_boolean("execution.state-recovery.ignore-unclaimed-state", True)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    # No periodic checkpoint comes within the run: only the final one, at the end of the input.
    env.enable_checkpointing(60_000)
    source = env.from_collection(commands).uid("reads" if restore else "writes")
    return list(source.key_by(lambda c: c[0]).process(Script(config)).uid("script").execute_and_collect())


def final_checkpoint(tmp_path):
    (chk,) = sorted((tmp_path / "checkpoints").glob("*/chk-*"))
    return str(chk)


@pytest.mark.parametrize("full_snapshot", [True, False], ids=["cleanup_full_snapshot", "plain"])
def test_full_snapshot_cleanup_leaves_expired_entries_out_of_checkpoints(tmp_path, parallelism, full_snapshot):
    steps = [return_expired, no_background_cleanup] + ([lambda b: b.cleanup_full_snapshot()] if full_snapshot else [])
    config = ttl(1000, *steps)
    # "old" has expired when the final checkpoint is taken; "young" is written just before.
    checkpointed_run(tmp_path, parallelism, config, script("old", ("v=", 1), ("l+", 1, 1.5)) + script("young", ("v=", 2)))
    reads = script("old", ("v?", None), ("l?", None)) + script("young", ("v?", None))
    out = checkpointed_run(tmp_path / "restored", parallelism, ttl(60_000, return_expired), reads, final_checkpoint(tmp_path))
    expected_old = [None, []] if full_snapshot else [1, [1]]
    assert multiset(out) == multiset([("old", "v?", expected_old[0]), ("old", "l?", expected_old[1]), ("young", "v?", 2)])


def test_ttl_config_and_its_cleanup_strategies_as_pyflink():
    strategies = StateTtlConfig.CleanupStrategies
    default = StateTtlConfig.new_builder(Time.seconds(1)).build()
    assert default.get_update_type() == StateTtlConfig.UpdateType.OnCreateAndWrite
    assert default.get_state_visibility() == StateTtlConfig.StateVisibility.NeverReturnExpired
    assert default.get_ttl_time_characteristic() == StateTtlConfig.TtlTimeCharacteristic.ProcessingTime
    assert default.get_ttl().to_milliseconds() == 1000 and default.is_enabled()
    cleanup = default.get_cleanup_strategies()
    assert cleanup.is_cleanup_in_background() and not cleanup.in_full_snapshot()
    incremental = cleanup.get_incremental_cleanup_strategy()
    assert (incremental.get_cleanup_size(), incremental.run_cleanup_for_every_record()) == (5, False)
    assert cleanup.get_rocksdb_compact_filter_cleanup_strategy().get_query_time_after_num_entries() == 1000

    custom = (
        StateTtlConfig.new_builder(Time.seconds(1))
        .cleanup_full_snapshot()
        .cleanup_incrementally(10, True)
        .cleanup_in_rocksdb_compact_filter(50)
        .disable_cleanup_in_background()
        .build()
        .get_cleanup_strategies()
    )
    assert custom.in_full_snapshot() and not custom.is_cleanup_in_background()
    assert custom.get_incremental_cleanup_strategy().get_cleanup_size() == 10
    assert custom.get_incremental_cleanup_strategy().run_cleanup_for_every_record()
    assert custom.get_rocksdb_compact_filter_cleanup_strategy().get_query_time_after_num_entries() == 50
    assert custom.get_rocksdb_compact_filter_cleanup_strategy().get_periodic_compaction_time().to_milliseconds() == 30 * 24 * 3600 * 1000
    quiet = StateTtlConfig.new_builder(Time.seconds(1)).disable_cleanup_in_background().build().get_cleanup_strategies()
    assert quiet.get_incremental_cleanup_strategy() is None and quiet.get_rocksdb_compact_filter_cleanup_strategy() is None
    assert isinstance(strategies.EMPTY_STRATEGY, strategies.EmptyCleanupStrategy)
    assert list(strategies.Strategies) == [
        strategies.Strategies.FULL_STATE_SCAN_SNAPSHOT,
        strategies.Strategies.INCREMENTAL_CLEANUP,
        strategies.Strategies.ROCKSDB_COMPACTION_FILTER,
    ]
    # PyFlink's constructor.
    built = StateTtlConfig(
        StateTtlConfig.UpdateType.OnReadAndWrite,
        StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp,
        StateTtlConfig.TtlTimeCharacteristic.ProcessingTime,
        Time.milliseconds(5),
        custom,
    )
    assert built.get_cleanup_strategies() is custom and built.get_ttl().to_milliseconds() == 5
    disabled = StateTtlConfig.new_builder(Time.seconds(1)).set_update_type(StateTtlConfig.UpdateType.Disabled).build()
    assert not disabled.is_enabled()


class MapBasics(KeyedProcessFunction):
    def open(self, rc):
        self.m = rc.get_map_state(MapStateDescriptor("m", Types.PICKLED_BYTE_ARRAY(), Types.INT()))

    def process_element(self, value, ctx):
        for k in ("z", "a", "m"):
            self.m.put(k, len(self.m.keys()))
        self.m["a"] = 10
        del self.m["z"]
        yield list(self.m.items()), self.m["missing"], "a" in self.m, self.m.is_empty()
        try:
            self.m.put(["unhashable"], 1)
        except TypeError as e:
            yield "TypeError", "unhashable" in str(e)


def test_map_state_keeps_insertion_order_and_pyflink_item_access(parallelism):
    out = collect(lambda env: env.from_collection([1]).key_by(lambda v: v).process(MapBasics()), parallelism)
    assert out == [([("a", 10), ("m", 2)], None, True, False), ("TypeError", True)]
