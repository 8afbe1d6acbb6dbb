"""Keyed state of window functions: the runtime context's and ``global_state()`` (per key, shared
by its windows) and ``window_state()`` (per key and window, removed by the function's ``clear``)."""

import pytest

from conftest import collect, multiset
from oxflow.common import Duration, Time, Types, WatermarkStrategy
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream.functions import ProcessAllWindowFunction, ProcessWindowFunction
from oxflow.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor
from oxflow.datastream.window import EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows

T3 = Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()])


class Ts(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[-1]


def events(env, data, type_info=T3):
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(0)).with_timestamp_assigner(Ts()).with_per_event_emission()
    return env.from_collection(data, type_info=type_info).assign_timestamps_and_watermarks(strategy).set_parallelism(1)


class OpenWindowGlobal(ProcessWindowFunction):
    """The audit's program: a state from open(), a window state and a global state."""

    def open(self, runtime_context):
        self.g = runtime_context.get_state(ValueStateDescriptor("g", Types.INT()))

    def process(self, key, ctx, elements):
        n = (self.g.value() or 0) + 1
        self.g.update(n)
        ws = ctx.window_state().get_state(ValueStateDescriptor("w", Types.INT()))
        ws.update((ws.value() or 0) + 1)
        gs = ctx.global_state().get_state(ValueStateDescriptor("gg", Types.INT()))
        gs.update((gs.value() or 0) + 1)
        yield "%s %d open=%d win=%d glob=%d" % (key, ctx.window().start, n, ws.value(), gs.value())


def test_open_window_and_global_state_as_pyflink_prints_them(parallelism):
    t2 = Types.TUPLE([Types.STRING(), Types.LONG()])
    out = collect(
        lambda env: events(env, [("a", 100), ("a", 1500)], t2)
        .key_by(lambda v: v[0])
        .window(TumblingEventTimeWindows.of(Time.milliseconds(1000)))
        .process(OpenWindowGlobal(), Types.STRING()),
        parallelism,
    )
    assert out == ["a 0 open=1 win=1 glob=1", "a 1000 open=2 win=1 glob=2"]


class Counts(ProcessWindowFunction):
    """Per window: how many elements it holds (window state); per key: elements over all windows
    (global state, also read through the runtime context's state of the same name)."""

    def open(self, runtime_context):
        self.total = runtime_context.get_state(ValueStateDescriptor("total", Types.INT()))

    def process(self, key, ctx, elements):
        mine = ctx.window_state().get_map_state(MapStateDescriptor("seen", Types.INT(), Types.INT()))
        for e in elements:
            mine.put(e[1], e[1])
        total = ctx.global_state().get_state(ValueStateDescriptor("total", Types.INT()))
        total.update((total.value() or 0) + len(elements))
        yield key, ctx.window().start, sorted(mine.keys()), self.total.value()


def test_window_state_is_per_window_and_global_state_per_key(parallelism):
    data = [("a", 1, 100), ("b", 2, 500), ("a", 3, 1100), ("a", 4, 2100)]
    out = collect(
        lambda env: events(env, data)
        .key_by(lambda v: v[0])
        .window(SlidingEventTimeWindows.of(Time.seconds(2), Time.seconds(1)))
        .process(Counts()),
        parallelism,
    )
    assert multiset(out) == multiset(
        [
            ("a", -1000, [1], 1),
            ("a", 0, [1, 3], 3),
            ("a", 1000, [3, 4], 5),
            ("a", 2000, [4], 6),
            ("b", -1000, [2], 1),
            ("b", 0, [2], 2),
        ]
    )


class LateFirings(ProcessWindowFunction):
    def process(self, key, ctx, elements):
        fires = ctx.window_state().get_state(ValueStateDescriptor("fires", Types.INT()))
        fires.update((fires.value() or 0) + 1)
        cleared = ctx.global_state().get_list_state(ListStateDescriptor("cleared", Types.PICKLED_BYTE_ARRAY()))
        yield ctx.window().start, fires.value(), sorted(cleared.get())

    def clear(self, ctx):
        fires = ctx.window_state().get_state(ValueStateDescriptor("fires", Types.INT()))
        ctx.global_state().get_list_state(ListStateDescriptor("cleared", Types.PICKLED_BYTE_ARRAY())).add((ctx.window().start, fires.value()))
        fires.clear()
        assert fires.value() is None


def test_window_state_lives_through_late_firings_until_clear(parallelism):
    # [0, 1000) fires at 1500, again for the late 200, and is cleaned up when the watermark passes
    # 1999 (end + lateness): clear() sees its window state then. 300 comes too late. At the end,
    # [2000, 3000) fires and [1000, 2000) is cleaned up at the same time (2999): the order of
    # these equal timers is the one Flink's heap timer queue gives, the firing first.
    data = [("a", 1, 100), ("a", 2, 1500), ("a", 3, 200), ("a", 4, 2600), ("a", 5, 300)]
    out = collect(
        lambda env: events(env, data)
        .key_by(lambda v: v[0])
        .window(TumblingEventTimeWindows.of(Time.seconds(1)))
        .allowed_lateness(1000)
        .process(LateFirings()),
        parallelism,
    )
    assert out == [(0, 1, []), (0, 2, []), (1000, 1, [(0, 2)]), (2000, 1, [(0, 2)])]


class AllWindows(ProcessAllWindowFunction):
    def process(self, ctx, elements):
        ws = ctx.window_state().get_state(ValueStateDescriptor("w", Types.INT()))
        ws.update((ws.value() or 0) + len(elements))
        gs = ctx.global_state().get_state(ValueStateDescriptor("g", Types.INT()))
        gs.update((gs.value() or 0) + len(elements))
        yield "%d win=%d glob=%d" % (ctx.window().start, ws.value(), gs.value())


def test_process_all_window_functions_have_window_and_global_state(parallelism):
    data = [("a", 1, 100), ("b", 2, 200), ("a", 3, 1500)]
    out = collect(lambda env: events(env, data).window_all(TumblingEventTimeWindows.of(Time.seconds(1))).process(AllWindows()), parallelism)
    assert out == ["0 win=2 glob=2", "1000 win=1 glob=3"]


class SessionState(ProcessWindowFunction):
    def __init__(self, per_window):
        self.per_window = per_window

    def process(self, key, ctx, elements):
        store = ctx.window_state() if self.per_window else ctx.global_state()
        seen = store.get_state(ValueStateDescriptor("seen", Types.INT()))
        seen.update((seen.value() or 0) + len(elements))
        yield key, seen.value()


def test_merging_windows_have_global_state_but_no_window_state():
    def build(per_window):
        return lambda env: (
            events(env, [("a", 1, 100), ("a", 2, 5000)])
            .key_by(lambda v: v[0])
            .window(EventTimeSessionWindows.with_gap(Time.seconds(1)))
            .process(SessionState(per_window))
        )

    assert collect(build(False), 1) == [("a", 1), ("a", 2)]
    with pytest.raises(Exception, match="Per-window state is not allowed when using merging windows."):
        collect(build(True), 1)


class KeepsState(ProcessWindowFunction):
    def open(self, runtime_context):
        self.kept = runtime_context.get_state(ValueStateDescriptor("kept", Types.INT()))

    def process(self, key, ctx, elements):
        yield key

    def close(self):
        self.kept.value()


def test_state_used_outside_a_window_function_call_raises():
    with pytest.raises(RuntimeError, match="only be used while it processes or clears a window"):
        collect(
            lambda env: events(env, [("a", 1, 100)]).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).process(KeepsState()),
            1,
        )
