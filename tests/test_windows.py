"""Windows through the public API: every assigner, trigger and function type, at parallelism 1 and 4."""

import pytest

from conftest import collect, env_with, multiset
from oxflow.common import Duration, Time, Types, WatermarkStrategy
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream import AggregateFunction, ManualClock, OutputTag
from oxflow.datastream.functions import AllWindowFunction, ProcessAllWindowFunction, ProcessWindowFunction, WindowFunction
from oxflow.datastream.state import ReducingStateDescriptor
from oxflow.datastream.window import (
    ContinuousEventTimeTrigger,
    CountTrigger,
    CountWindow,
    EventTimeSessionWindows,
    EventTimeTrigger,
    GlobalWindows,
    PurgingTrigger,
    SessionWindowTimeGapExtractor,
    SlidingEventTimeWindows,
    TimeWindow,
    Trigger,
    TriggerResult,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
)

T3 = Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()])


class Ts(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[2]


def events(env, data, delay=0, per_event=True):
    """The elements of ``data`` with timestamps and watermarks assigned in one instance, next to
    the (single) collection source, so event-time progress is the same at any parallelism."""
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(delay)).with_timestamp_assigner(Ts())
    if per_event:
        strategy = strategy.with_per_event_emission()
    return env.from_collection(data, type_info=T3).assign_timestamps_and_watermarks(strategy).set_parallelism(1)


DATA = [("a", 1, 100), ("b", 2, 200), ("a", 3, 900), ("a", 4, 1100), ("b", 5, 1500), ("a", 6, 2500), ("b", 7, 2999)]


def summing(a, b):
    return a[0], a[1] + b[1], max(a[2], b[2])


class Describe(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield "%s [%d,%d) n=%d sum=%d" % (key, w.start, w.end, len(elements), sum(e[1] for e in elements))


def test_tumbling_reduce(parallelism):
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(summing), parallelism)
    assert multiset(out) == multiset([("a", 4, 900), ("b", 2, 200), ("a", 4, 1100), ("b", 5, 1500), ("a", 6, 2500), ("b", 7, 2999)])


def test_tumbling_reduce_in_time_order_at_parallelism_1():
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(summing), 1)
    assert out == [("a", 4, 900), ("b", 2, 200), ("a", 4, 1100), ("b", 5, 1500), ("a", 6, 2500), ("b", 7, 2999)]


def test_tumbling_with_offset_and_process_function(parallelism):
    out = collect(
        lambda env: events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1), Time.milliseconds(200))).process(Describe(), Types.STRING()),
        parallelism,
    )
    assert sorted(out) == sorted(
        ["a [-800,200) n=1 sum=1", "a [200,1200) n=2 sum=7", "a [2200,3200) n=1 sum=6", "b [200,1200) n=1 sum=2", "b [1200,2200) n=1 sum=5", "b [2200,3200) n=1 sum=7"]
    )


def test_sliding_windows(parallelism):
    out = collect(
        lambda env: events(env, DATA).key_by(lambda v: v[0]).window(SlidingEventTimeWindows.of(Time.seconds(2), Time.seconds(1))).process(Describe(), Types.STRING()),
        parallelism,
    )
    assert sorted(out) == sorted(
        [
            "a [-1000,1000) n=2 sum=4",
            "a [0,2000) n=3 sum=8",
            "a [1000,3000) n=2 sum=10",
            "a [2000,4000) n=1 sum=6",
            "b [-1000,1000) n=1 sum=2",
            "b [0,2000) n=2 sum=7",
            "b [1000,3000) n=2 sum=12",
            "b [2000,4000) n=1 sum=7",
        ]
    )


class Average(AggregateFunction):
    def create_accumulator(self):
        return 0, 0

    def add(self, value, accumulator):
        return accumulator[0] + value[1], accumulator[1] + 1

    def get_result(self, accumulator):
        return accumulator[0] / accumulator[1]

    def merge(self, a, b):
        return a[0] + b[0], a[1] + b[1]


class WithKeyAndWindow(ProcessWindowFunction):
    def process(self, key, context, elements):
        (average,) = elements
        yield key, context.window().start, average


def test_aggregate_with_and_without_window_function(parallelism):
    tumbling = TumblingEventTimeWindows.of(Time.seconds(1))
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(tumbling).aggregate(Average(), output_type=Types.DOUBLE()), parallelism)
    assert sorted(out) == sorted([2.0, 2.0, 4.0, 5.0, 6.0, 7.0])
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(tumbling).aggregate(Average(), WithKeyAndWindow()), parallelism)
    assert sorted(out) == sorted([("a", 0, 2.0), ("a", 1000, 4.0), ("a", 2000, 6.0), ("b", 0, 2.0), ("b", 1000, 5.0), ("b", 2000, 7.0)])


class Collect(WindowFunction):
    def apply(self, key, window, inputs):
        return [(key, window.start, sorted(i[1] for i in inputs))]


def test_apply_window_function_and_reduce_with_window_function(parallelism):
    tumbling = TumblingEventTimeWindows.of(Time.seconds(1))
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(tumbling).apply(Collect()), parallelism)
    assert sorted(out) == sorted([("a", 0, [1, 3]), ("a", 1000, [4]), ("a", 2000, [6]), ("b", 0, [2]), ("b", 1000, [5]), ("b", 2000, [7])])
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(tumbling).reduce(summing, window_function=Collect()), parallelism)
    assert sorted(out) == sorted([("a", 0, [4]), ("a", 1000, [4]), ("a", 2000, [6]), ("b", 0, [2]), ("b", 1000, [5]), ("b", 2000, [7])])


SESSIONS = [("a", 1, 0), ("a", 2, 400), ("b", 3, 100), ("a", 4, 1500), ("a", 5, 1700), ("b", 6, 2000)]


def test_session_windows_static_gap(parallelism):
    out = collect(
        lambda env: events(env, SESSIONS).key_by(lambda v: v[0]).window(EventTimeSessionWindows.with_gap(Time.milliseconds(500))).process(Describe(), Types.STRING()),
        parallelism,
    )
    assert sorted(out) == sorted(["a [0,900) n=2 sum=3", "a [1500,2200) n=2 sum=9", "b [100,600) n=1 sum=3", "b [2000,2500) n=1 sum=6"])


class GapByValue(SessionWindowTimeGapExtractor):
    def extract(self, element):
        return 2000 if element[1] == 1 else 100


def test_session_windows_dynamic_gap(parallelism):
    out = collect(
        lambda env: events(env, SESSIONS).key_by(lambda v: v[0]).window(EventTimeSessionWindows.with_dynamic_gap(GapByValue())).process(Describe(), Types.STRING()),
        parallelism,
    )
    # (b, 3, 100) opens [100, 200), already behind the watermark (399): late, dropped.
    assert sorted(out) == sorted(["a [0,2000) n=4 sum=12", "b [2000,2100) n=1 sum=6"])


def test_late_element_merges_two_sessions(parallelism):
    # (a, 4, 500) opens [500, 1000), which touches both fired sessions [0, 500) and [1000, 1500).
    data = [("a", 1, 0), ("a", 2, 1000), ("a", 3, 5000), ("a", 4, 500)]
    out = collect(
        lambda env: events(env, data).key_by(lambda v: v[0]).window(EventTimeSessionWindows.with_gap(Time.milliseconds(500))).allowed_lateness(10_000).process(Describe(), Types.STRING()),
        parallelism,
    )
    assert out == ["a [0,500) n=1 sum=1", "a [1000,1500) n=1 sum=2", "a [0,1500) n=3 sum=7", "a [5000,5500) n=1 sum=3"]


def test_count_windows(parallelism):
    data = [("k", i, i) for i in range(1, 8)]
    tumbling = collect(lambda env: env.from_collection(data).key_by(lambda v: v[0]).count_window(3).reduce(summing), parallelism)
    assert tumbling == [("k", 6, 3), ("k", 15, 6)]
    # PyFlink's sliding count windows: 3 elements starting every 2nd, each fired once when full.
    sliding = collect(lambda env: env.from_collection(data).key_by(lambda v: v[0]).count_window(3, 2).reduce(summing), parallelism)
    assert sliding == [("k", 6, 3), ("k", 12, 5), ("k", 18, 7)]


LATE = [("a", 1, 100), ("a", 2, 1200), ("a", 3, 900), ("a", 4, 2600), ("a", 5, 950)]


def test_allowed_lateness_refires_and_late_side_output(parallelism):
    late = OutputTag("late", T3)

    def build(env, which):
        windowed = events(env, LATE).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).allowed_lateness(500).side_output_late_data(late).reduce(summing)
        return windowed if which == "main" else windowed.get_side_output(late)

    # (a,3,900) arrives after the watermark passed 999 but within the lateness: the window re-fires.
    # (a,5,950) arrives after 999 + 500: too late, it goes to the side output.
    assert collect(lambda env: build(env, "main"), parallelism) == [("a", 1, 100), ("a", 4, 900), ("a", 2, 1200), ("a", 4, 2600)]
    assert collect(lambda env: build(env, "side"), parallelism) == [("a", 5, 950)]


def test_late_elements_dropped_are_counted_after_execute_and_collect_too(parallelism):
    env = env_with(parallelism)
    it = events(env, LATE).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(summing).execute_and_collect()
    with pytest.raises(RuntimeError, match="still running"):
        it.get_job_execution_result()
    assert len(list(it)) == 3
    assert it.get_job_execution_result().get_accumulator_result("numLateRecordsDropped") == 2


def test_window_reduce_results_are_checked_against_the_output_type(parallelism):
    # Single-element windows emit the element itself: it is the result, checked like any other.
    def build(output_type):
        return lambda env: events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(summing, output_type=output_type)

    assert multiset(collect(build(T3), parallelism)) == multiset(collect(build(None), parallelism))
    with pytest.raises(TypeError) as info:
        collect(build(Types.STRING()), parallelism)
    message = str(info.value)
    assert "operator 'Window'" in message and "does not match its declared output type String" in message and "('" in message


def test_late_elements_without_side_output_are_counted(parallelism):
    env = env_with(parallelism)
    events(env, LATE).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(summing).print()
    result = env.execute()
    assert result.get_accumulator_result("numLateRecordsDropped") == 2


def test_periodic_watermarks_fire_windows_at_end_of_input(parallelism):
    out = collect(lambda env: events(env, DATA, per_event=False).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).reduce(summing), parallelism)
    assert multiset(out) == multiset([("a", 4, 900), ("b", 2, 200), ("a", 4, 1100), ("b", 5, 1500), ("a", 6, 2500), ("b", 7, 2999)])


def test_triggers_count_purging_continuous(parallelism):
    data = [("k", i, i * 100) for i in range(1, 8)]
    out = collect(lambda env: events(env, data).key_by(lambda v: v[0]).window(GlobalWindows.create()).trigger(CountTrigger.of(2)).reduce(summing), parallelism)
    assert out == [("k", 3, 200), ("k", 10, 400), ("k", 21, 600)], "CountTrigger fires without purging: sums accumulate"
    out = collect(lambda env: events(env, data).key_by(lambda v: v[0]).window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(2))).reduce(summing), parallelism)
    assert out == [("k", 3, 200), ("k", 7, 400), ("k", 11, 600)]
    out = collect(
        lambda env: events(env, data).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(1))).trigger(ContinuousEventTimeTrigger.of(Time.milliseconds(300))).reduce(summing),
        parallelism,
    )
    # As Flink's ContinuousEventTimeTrigger: the first element sets a firing at 300, due once the
    # watermark passes it (after the element at 400); each firing sets the next 300 ms later
    # (600: fired by the element at 700, then 900), capped at the window's end (999), which fires
    # too. The final watermark fires 900 and 999.
    assert out == [("k", 10, 400), ("k", 28, 700), ("k", 28, 700), ("k", 28, 700)]


def test_global_windows_never_fire_without_a_trigger():
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(GlobalWindows.create()).reduce(summing), 1)
    assert out == []


def test_event_time_trigger_explicitly(parallelism):
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(1000)).trigger(EventTimeTrigger.create()).reduce(summing), parallelism)
    assert len(out) == 6


class CountAll(ProcessAllWindowFunction):
    def process(self, context, elements):
        yield context.window().start, len(elements)


class SumAll(AllWindowFunction):
    def apply(self, window, inputs):
        yield window.start, sum(i[1] for i in inputs)


def test_window_all(parallelism):
    tumbling = TumblingEventTimeWindows.of(Time.seconds(1))
    out = collect(lambda env: events(env, DATA).window_all(tumbling).process(CountAll()), parallelism)
    assert out == [(0, 3), (1000, 2), (2000, 2)]
    out = collect(lambda env: events(env, DATA).window_all(tumbling).apply(SumAll()), parallelism)
    assert out == [(0, 6), (1000, 9), (2000, 13)]
    out = collect(lambda env: events(env, DATA).window_all(tumbling).reduce(summing), parallelism)
    assert [o[1] for o in out] == [6, 9, 13]


def test_processing_time_windows_fire_at_the_end_only_if_due():
    # A processing-time window still open when the bounded input ends does not fire (as in Flink).
    out = collect(lambda env: env.from_collection(DATA).key_by(lambda v: v[0]).window(TumblingProcessingTimeWindows.of(Time.hours(1))).reduce(summing), 1)
    assert out == []


def test_event_time_windows_need_timestamps():
    env = env_with(1)
    env.from_collection(DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(1000)).reduce(summing).print()
    with pytest.raises(Exception, match="(?i)timestamp"):
        env.execute()


class EveryTwoOrEnd(Trigger):
    """Fires (without purging) every second element of a window, and at the window's end."""

    def on_element(self, element, timestamp, window, ctx):
        count = ctx.get_partitioned_state(ReducingStateDescriptor("count", lambda a, b: a + b, Types.LONG()))
        count.add(1)
        ctx.register_event_time_timer(window.max_timestamp())
        return TriggerResult.FIRE if count.get() % 2 == 0 else TriggerResult.CONTINUE

    def on_event_time(self, time, window, ctx):
        return TriggerResult.FIRE if time == window.max_timestamp() else TriggerResult.CONTINUE

    def on_processing_time(self, time, window, ctx):
        return TriggerResult.CONTINUE

    def can_merge(self):
        return True

    def on_merge(self, window, ctx):
        ctx.merge_partitioned_state(ReducingStateDescriptor("count", lambda a, b: a + b, Types.LONG()))
        ctx.register_event_time_timer(window.max_timestamp())

    def clear(self, window, ctx):
        ctx.get_partitioned_state(ReducingStateDescriptor("count", lambda a, b: a + b, Types.LONG())).clear()
        ctx.delete_event_time_timer(window.max_timestamp())


def test_user_defined_trigger(parallelism):
    data = [("k", i, i * 100) for i in range(1, 6)]
    out = collect(
        lambda env: events(env, data).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(Time.seconds(10))).trigger(EveryTwoOrEnd()).reduce(summing),
        parallelism,
    )
    assert out == [("k", 3, 200), ("k", 10, 400), ("k", 15, 500)]


def test_user_defined_trigger_on_merging_sessions(parallelism):
    data = [("k", 1, 0), ("k", 2, 300), ("k", 3, 5000)]
    out = collect(
        lambda env: events(env, data).key_by(lambda v: v[0]).window(EventTimeSessionWindows.with_gap(Time.seconds(1))).trigger(EveryTwoOrEnd()).reduce(summing),
        parallelism,
    )
    assert out == [("k", 3, 300), ("k", 3, 300), ("k", 3, 5000)]


def test_incomplete_user_trigger_is_rejected_at_definition():
    class MyTrigger(Trigger):
        pass

    env = env_with(1)
    with pytest.raises(TypeError, match="MyTrigger must implement on_element"):
        events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(1000)).trigger(MyTrigger())


def test_time_window_object():
    w = TimeWindow(0, 1000)
    assert w.max_timestamp() == 999
    assert w.intersects(TimeWindow(1000, 2000)) and not w.intersects(TimeWindow(1001, 2000))
    assert w.cover(TimeWindow(500, 1500)) == TimeWindow(0, 1500)
    assert TimeWindow.get_window_start_with_offset(-1, 0, 1000) == -1000


def test_builtin_window_aggregations_run_in_rust(parallelism):
    tumbling = TumblingEventTimeWindows.of(Time.seconds(1))

    def run(aggregate):
        return sorted(collect(lambda env: aggregate(events(env, DATA).key_by(lambda v: v[0]).window(tumbling)), parallelism))

    assert run(lambda w: w.sum(1)) == sorted([("a", 4, 100), ("a", 4, 1100), ("a", 6, 2500), ("b", 2, 200), ("b", 5, 1500), ("b", 7, 2999)])
    assert run(lambda w: w.max(1))[0] == ("a", 3, 100), "max keeps the first element's other fields"
    assert run(lambda w: w.max_by(1))[0] == ("a", 3, 900), "max_by keeps the whole element"
    assert run(lambda w: w.min_by(2))[0] == ("a", 1, 100)
    with pytest.raises(TypeError, match="tuple position"):
        env_with(1).from_collection(DATA).key_by(lambda v: v[0]).window(tumbling).sum("f1")


def test_builtin_count_per_key_and_window(parallelism):
    """oxflow extension: ``WindowedStream.count()`` emits (key, count) per window."""
    tumbling = TumblingEventTimeWindows.of(Time.seconds(1))
    out = collect(lambda env: events(env, DATA).key_by(lambda v: v[0], key_type=Types.STRING()).window(tumbling).count(), parallelism)
    assert multiset(out) == multiset([("a", 2), ("a", 1), ("a", 1), ("b", 1), ("b", 1), ("b", 1)])
    # Merging sessions add their counts: a's elements at 100 and 900 join through the one at 500.
    sessions = EventTimeSessionWindows.with_gap(Time.milliseconds(500))
    data = [("a", 1, 100), ("a", 2, 900), ("b", 3, 950), ("a", 3, 500), ("a", 4, 3000)]
    out = collect(lambda env: events(env, data, delay=1000).key_by(lambda v: v[0]).window(sessions).count(), parallelism)
    assert multiset(out) == multiset([("a", 3), ("b", 1), ("a", 1)])
    # Without keys, the count alone.
    out = collect(lambda env: events(env, DATA).window_all(tumbling).count(), parallelism)
    assert sorted(out) == [2, 2, 3]


def test_builtin_count_prints_as_a_typed_tuple(capsys, parallelism):
    env = env_with(parallelism)
    events(env, DATA).key_by(lambda v: v[0], key_type=Types.STRING()).window(TumblingEventTimeWindows.of(Time.seconds(1))).count().print()
    env.execute()
    lines = [line.split("> ")[-1] for line in capsys.readouterr().out.splitlines()]
    assert sorted(lines) == ["(a,1)", "(a,1)", "(a,2)", "(b,1)", "(b,1)", "(b,1)"]


def test_builtin_count_calls_no_python_per_element():
    import operator
    import sys

    def python_calls(window, n):
        # A parallelism-1 job runs on this thread, so the profiler sees every Python call it makes
        # (a C function called from Rust, like the itemgetter key selector, is no Python call).
        calls = []
        env = env_with(1)
        data = [("k%d" % (i % 3), i) for i in range(n)]
        stream = window(env.from_collection(data).key_by(operator.itemgetter(0)).window(GlobalWindows.create()).trigger(CountTrigger.of(100)))
        sys.setprofile(lambda frame, event, arg: calls.append(frame.f_code) if event == "call" else None)
        try:
            out = list(stream.execute_and_collect())
        finally:
            sys.setprofile(None)
        return out, len(calls)

    def per_element(window):
        # Setting a job up, and reading its results, call Python a fixed number of times, and
        # once per result: what grows with the input beyond that is per-element work.
        (_, few), (out, many) = python_calls(window, 2000), python_calls(window, 20000)
        return out, (many - few) / 18000

    out, calls = per_element(lambda w: w.count())
    assert sorted(out)[-1] == ("k2", 6600) and len(out) == 3 * 66
    assert calls < 0.05, "count() called Python %.2f times per element" % calls
    # The same count as a Python reduce calls Python for every element: the check above sees it.
    _, calls = per_element(lambda w: w.reduce(lambda a, b: (a[0], a[1] + 1)))
    assert calls >= 1


class Times(ProcessWindowFunction):
    def process(self, key, context, elements):
        yield key, context.window().start, context.current_watermark(), context.current_processing_time()


def test_window_context_current_watermark_and_processing_time(parallelism):
    # With per-element watermarks, a window fires on the watermark of the first element past its
    # end; what is left fires on the final (maximum) watermark. Processing time is the clock's.
    def build(env):
        env.set_clock(ManualClock(12345))
        return events(env, DATA).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(1000)).process(Times())

    end = 2**63 - 1
    expected = [("a", 0, 1099), ("b", 0, 1099), ("a", 1000, 2499), ("b", 1000, 2499), ("a", 2000, end), ("b", 2000, end)]
    assert multiset(collect(build, parallelism)) == multiset([e + (12345,) for e in expected])


CLEARED = []


class RecordsClear(ProcessWindowFunction):
    def process(self, key, context, elements):
        yield "fired %s %d" % (key, context.window().start)

    def clear(self, context):
        # clear() cannot emit: what it saw goes to a list the test reads.
        w = context.window()
        CLEARED.append(("cleared", w.start, w.end, context.current_watermark()))


def test_process_window_function_clear_runs_when_the_window_is_dropped(parallelism):
    del CLEARED[:]
    data = [("a", 1, 100), ("a", 2, 1200), ("a", 3, 900), ("a", 4, 2100)]
    out = collect(
        lambda env: events(env, data).key_by(lambda v: v[0]).window(TumblingEventTimeWindows.of(1000)).allowed_lateness(500).process(RecordsClear(), Types.STRING()),
        parallelism,
    )
    # [0, 1000) fires at watermark 1199 and again for the late element at 900; its state (and so
    # clear) goes once the watermark passes 999 + 500, at 2099. The rest is dropped at the end.
    assert out == ["fired a 0", "fired a 0", "fired a 1000", "fired a 2000"]
    assert CLEARED == [("cleared", 0, 1000, 2099), ("cleared", 1000, 2000, 2**63 - 1), ("cleared", 2000, 3000, 2**63 - 1)]


class CountWindowInfo(ProcessWindowFunction):
    def process(self, key, context, elements):
        w = context.window()
        yield type(w).__name__, w.id, w.max_timestamp(), [e[1] for e in elements]


def test_count_windows_hand_count_window_objects(parallelism):
    data = [("k", i) for i in range(7)]
    out = collect(lambda env: env.from_collection(data).key_by(lambda v: v[0]).count_window(2).process(CountWindowInfo()), parallelism)
    assert out == [("CountWindow", 0, 2**63 - 1, [0, 1]), ("CountWindow", 1, 2**63 - 1, [2, 3]), ("CountWindow", 2, 2**63 - 1, [4, 5])]
    assert CountWindow(1) == CountWindow(1) and CountWindow(1) != CountWindow(2) and repr(CountWindow(3)) == "CountWindow(id=3)"
