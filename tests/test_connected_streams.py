"""connect(): co-functions, keyed co-process functions with state and timers, broadcast state."""

import time

import pytest

from conftest import collect, env_with, multiset
from oxflow.common import Duration, Types, WatermarkStrategy
from oxflow.datastream import (
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
    MapFunction,
)
from oxflow.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor


class Tag(CoMapFunction):
    def map1(self, value):
        return "left", value

    def map2(self, value):
        return "right", value


class Twice(CoFlatMapFunction):
    def flat_map1(self, value):
        yield value
        yield value

    def flat_map2(self, value):
        return [value.upper()]


def test_co_map_and_co_flat_map(parallelism):
    out = collect(lambda env: env.from_collection([1, 2]).connect(env.from_collection(["a"])).map(Tag()), parallelism)
    assert multiset(out) == multiset([("left", 1), ("left", 2), ("right", "a")])
    out = collect(lambda env: env.from_collection([1]).connect(env.from_collection(["a", "b"])).flat_map(Twice()), parallelism)
    assert multiset(out) == multiset([1, 1, "A", "B"])


class Sides(CoProcessFunction):
    def process_element1(self, value, ctx):
        yield "1:%s" % value

    def process_element2(self, value, ctx):
        yield "2:%s" % value


def test_co_process_function(parallelism):
    out = collect(lambda env: env.from_collection(["x"]).connect(env.from_collection(["y", "z"])).process(Sides()), parallelism)
    assert sorted(out) == ["1:x", "2:y", "2:z"]


class Join(KeyedCoProcessFunction):
    """Enriches orders (input 1) with the latest user name (input 2) per user id."""

    def open(self, ctx):
        self.name = ctx.get_state(ValueStateDescriptor("name", Types.STRING()))
        self.pending = ctx.get_list_state(ListStateDescriptor("pending", Types.INT()))

    def process_element1(self, order, ctx):
        name = self.name.value()
        if name is None:
            self.pending.add(order[1])
            ctx.timer_service().register_event_time_timer(10_000)
        else:
            yield ctx.get_current_key(), name, order[1]

    def process_element2(self, user, ctx):
        self.name.update(user[1])
        for amount in self.pending.get():
            yield ctx.get_current_key(), user[1], amount
        self.pending.clear()

    def on_timer(self, timestamp, ctx):
        for amount in self.pending.get():
            yield ctx.get_current_key(), None, amount


def test_keyed_co_process_with_state_and_timers(parallelism):
    orders = [(1, 10), (2, 20), (1, 11), (3, 30)]
    users = [(1, "ann"), (2, "bob")]

    def build(env):
        strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda v, ts: 0)
        o = env.from_collection(orders).assign_timestamps_and_watermarks(strategy)
        u = env.from_collection(users).assign_timestamps_and_watermarks(strategy)
        return o.connect(u).key_by(lambda o: o[0], lambda u: u[0]).process(Join())

    out = collect(build, parallelism)
    assert multiset(out) == multiset([(1, "ann", 10), (1, "ann", 11), (2, "bob", 20), (3, None, 30)])


RULES = MapStateDescriptor("rules", Types.STRING(), Types.INT())


class SlowStart(MapFunction):
    """Holds back each instance's first element so the broadcast rule arrives before data."""

    def open(self, ctx):
        self.started = False

    def map(self, value):
        if not self.started:
            time.sleep(0.3)
            self.started = True
        return value


class Threshold(BroadcastProcessFunction):
    def process_element(self, value, ctx):
        limit = ctx.get_broadcast_state(RULES).get("limit")
        if limit is not None and value > limit:
            yield value

    def process_broadcast_element(self, value, ctx):
        ctx.get_broadcast_state(RULES).put("limit", value)


def test_broadcast_state_reaches_every_instance(parallelism):
    env = env_with(parallelism)
    rules = env.from_collection([5]).broadcast(RULES)
    # Elements wait until the rule has arrived: read them after a slow start, one per instance.
    data = env.from_collection(list(range(10))).map(SlowStart())
    out = list(data.connect(rules).process(Threshold()).execute_and_collect())
    assert sorted(out) == [6, 7, 8, 9]


class KeyedThreshold(KeyedBroadcastProcessFunction):
    def open(self, ctx):
        self.count = ctx.get_state(ValueStateDescriptor("count", Types.INT()))

    def process_element(self, value, ctx):
        self.count.update((self.count.value() or 0) + 1)
        if self.count.value() >= (ctx.get_broadcast_state(RULES).get("limit") or 99):
            yield ctx.get_current_key(), self.count.value()

    def process_broadcast_element(self, value, ctx):
        ctx.get_broadcast_state(RULES).put("limit", value)
        with pytest.raises(RuntimeError):
            ctx.get_current_key()


def test_keyed_broadcast_process_function(parallelism):
    env = env_with(parallelism)
    rules = env.from_collection([2]).broadcast(RULES)
    data = env.from_collection(["a", "b", "a", "a"]).map(SlowStart())
    out = list(data.key_by(lambda v: v).connect(rules).process(KeyedThreshold()).execute_and_collect())
    assert sorted(out) == [("a", 2), ("a", 3)]


def test_broadcast_state_is_read_only_for_elements():
    class Writes(BroadcastProcessFunction):
        def process_element(self, value, ctx):
            ctx.get_broadcast_state(RULES).put("x", 1)

        def process_broadcast_element(self, value, ctx):
            pass

    env = env_with(1)
    env.from_collection([1]).connect(env.from_collection([1]).broadcast(RULES)).process(Writes()).print()
    with pytest.raises(RuntimeError, match="read-only"):
        env.execute()
