"""Processing time driven by a ManualClock (an oxflow extension: env.set_clock), so that
processing-time windows, triggers and timers give the same result on every run.

Each element carries the processing time at which it arrives. Before it comes a clock element
(filtered out right away) that moves the clock there: with one element per batch (bundle size 1)
in a single task (parallelism 1), timers due by then fire first, and then the element is
processed at its time, as with a clock that moves on its own."""

import pytest

from oxflow.common import Configuration, Types, WatermarkStrategy
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream import (
    KeyedProcessFunction,
    ManualClock,
    ProcessFunction,
    ProcessWindowFunction,
    StreamExecutionEnvironment,
)
from oxflow.datastream.window import (
    ContinuousProcessingTimeTrigger,
    GlobalWindows,
    NeverTrigger,
    ProcessingTimeSessionWindows,
    ProcessingTimeTrigger,
    SlidingProcessingTimeWindows,
    TumblingEventTimeWindows,
    TumblingProcessingTimeWindows,
)

ELEMENT = Types.TUPLE([Types.STRING(), Types.INT(), Types.LONG()])
# The last clock element moves the clock far ahead, so that every window due fires.
END = 100_000


class ValueAsTimestamp(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


def clocked(inputs, event_time=False):
    """A stream of (key, value) pairs from (key, value, processing time) inputs, the clock moved
    to each input's processing time before it arrives; with `event_time`, the value is also the
    element's timestamp (and there are no watermarks)."""
    config = Configuration()
    config.set_string("python.fn-execution.bundle.size", "1")
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(1)
    clock = ManualClock(0)
    env.set_clock(clock)

    def arrive(e):
        clock.set(e[2])
        return e

    schedule = [x for e in inputs for x in (("clock", 0, e[2]), e)] + [("clock", 0, END)]
    stream = env.from_collection(schedule, type_info=ELEMENT).map(arrive, output_type=ELEMENT).filter(lambda e: e[0] != "clock")
    if event_time:
        stream = stream.assign_timestamps_and_watermarks(WatermarkStrategy.no_watermarks().with_timestamp_assigner(ValueAsTimestamp()))
    return stream.map(lambda e: (e[0], e[1]), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))


class Describe(ProcessWindowFunction):
    """`key start end values processing_time`."""

    def process(self, key, context, elements):
        w = context.window()
        yield "%s %d %d %s %d" % (key, w.start, w.end, [e[1] for e in elements], context.current_processing_time())


def windowed(inputs, assigner, trigger=None, event_time=False):
    stream = clocked(inputs, event_time)
    windows = stream.key_by(lambda e: e[0], key_type=Types.STRING()).window(assigner)
    if trigger is not None:
        windows = windows.trigger(trigger)
    return list(windows.process(Describe(), output_type=Types.STRING()).execute_and_collect())


INPUT = [("a", 1, 100), ("b", 2, 500), ("a", 3, 900), ("a", 4, 1000), ("b", 5, 1999), ("a", 6, 2500), ("b", 7, 2600)]


def test_the_clock_moves_only_when_told():
    clock = ManualClock(5)
    assert clock.now() == 5
    clock.advance(10)
    assert clock.now() == 15
    clock.set(3)
    assert clock.now() == 3
    with pytest.raises(TypeError, match="ManualClock"):
        StreamExecutionEnvironment.get_execution_environment().set_clock(12)


def test_tumbling_processing_time_windows_follow_the_clock():
    # A window fires when the clock reaches its last millisecond: [0, 1000) at 1000, a's
    # [1000, 2000) at 1999 before b's element of 1999 comes, which fires b's right after it.
    assert windowed(INPUT, TumblingProcessingTimeWindows.of(1000)) == [
        "a 0 1000 [1, 3] 1000",
        "b 0 1000 [2] 1000",
        "a 1000 2000 [4] 1999",
        "b 1000 2000 [5] 1999",
        "a 2000 3000 [6] 100000",
        "b 2000 3000 [7] 100000",
    ]


def test_sliding_processing_time_windows_follow_the_clock():
    out = windowed([("a", 1, 100), ("a", 2, 700), ("a", 3, 1200), ("b", 4, 1300)], SlidingProcessingTimeWindows.of(1000, 500))
    # The windows ending at 1499 and 1999 all fire at the end, in Flink's timer heap order.
    assert out == [
        "a -500 500 [1] 700",
        "a 0 1000 [1, 2] 1200",
        "a 500 1500 [2, 3] 100000",
        "b 500 1500 [4] 100000",
        "b 1000 2000 [4] 100000",
        "a 1000 2000 [3] 100000",
    ]


def test_processing_time_sessions_with_a_static_gap():
    out = windowed([("a", 1, 100), ("a", 2, 300), ("b", 3, 350), ("a", 4, 900), ("a", 5, 1000)], ProcessingTimeSessionWindows.with_gap(400))
    assert out == ["a 100 700 [1, 2] 900", "b 350 750 [3] 900", "a 900 1400 [4, 5] 100000"]


def test_processing_time_sessions_with_a_dynamic_gap():
    # The gap is the element's value * 100 ms.
    assigner = ProcessingTimeSessionWindows.with_dynamic_gap(lambda e: e[1] * 100)
    out = windowed([("a", 1, 100), ("a", 5, 150), ("a", 1, 700), ("b", 2, 700), ("a", 1, 1000)], assigner)
    assert out == ["a 100 650 [1, 5] 700", "a 700 800 [1] 1000", "b 700 900 [2] 1000", "a 1000 1100 [1] 100000"]


def test_processing_time_trigger_fires_event_time_windows_by_the_clock():
    # Event-time windows of the values, no watermarks: only processing time passing a window's
    # end fires it. [0, 1000) fires at 1100, and at once again when a late element joins it.
    inputs = [("a", 100, 100), ("a", 400, 200), ("a", 1200, 300), ("a", 900, 1100), ("a", 2100, 1200)]
    assert windowed(inputs, TumblingEventTimeWindows.of(1000), ProcessingTimeTrigger.create(), event_time=True) == [
        "a 0 1000 [100, 400] 1100",
        "a 0 1000 [100, 400, 900] 1100",
        "a 1000 2000 [1200] 100000",
        "a 2000 3000 [2100] 100000",
    ]


def test_continuous_processing_time_trigger_fires_every_interval_until_the_window_ends():
    trigger = ContinuousProcessingTimeTrigger.of(300)
    out = windowed([("a", 1, 100), ("a", 2, 450), ("a", 3, 700), ("a", 4, 1500)], TumblingProcessingTimeWindows.of(1000), trigger)
    # Fires at 300 (due when the clock reaches 450), 600 (at 700), 900 and the window's end 999
    # (both at 1500), then [1000, 2000) at 1800 and 1999 (at the end).
    assert out == [
        "a 0 1000 [1] 450",
        "a 0 1000 [1, 2] 700",
        "a 0 1000 [1, 2, 3] 1500",
        "a 0 1000 [1, 2, 3] 1500",
        "a 1000 2000 [4] 100000",
        "a 1000 2000 [4] 100000",
    ]


def test_never_trigger_never_fires():
    assert windowed(INPUT, TumblingProcessingTimeWindows.of(1000), NeverTrigger.create()) == []
    assert windowed(INPUT, GlobalWindows.create()) == []


class ProcessingTimers(KeyedProcessFunction):
    def process_element(self, value, ctx):
        now = ctx.timer_service().current_processing_time()
        ctx.timer_service().register_processing_time_timer(now + 500)
        if value[1] == 3:
            ctx.timer_service().delete_processing_time_timer(600)
        yield "%s element %d at %d" % (ctx.get_current_key(), value[1], now)

    def on_timer(self, timestamp, ctx):
        yield "%s timer %d at %d domain %s" % (ctx.get_current_key(), timestamp, ctx.timer_service().current_processing_time(), ctx.time_domain())


def test_processing_time_timers_of_a_keyed_process_function():
    stream = clocked([("a", 1, 100), ("b", 2, 100), ("a", 3, 300), ("a", 4, 1000), ("b", 5, 1200)])
    out = list(stream.key_by(lambda e: e[0], key_type=Types.STRING()).process(ProcessingTimers(), output_type=Types.STRING()).execute_and_collect())
    assert out == [
        "a element 1 at 100",
        "b element 2 at 100",
        # a's timer at 600 was deleted by its third element
        "a element 3 at 300",
        "b timer 600 at 1000 domain TimeDomain.PROCESSING_TIME",
        "a timer 800 at 1000 domain TimeDomain.PROCESSING_TIME",
        "a element 4 at 1000",
        "b element 5 at 1200",
        "a timer 1500 at 100000 domain TimeDomain.PROCESSING_TIME",
        "b timer 1700 at 100000 domain TimeDomain.PROCESSING_TIME",
    ]


def test_current_processing_time_of_a_non_keyed_process_function_is_the_clock():
    class Now(ProcessFunction):
        def process_element(self, value, ctx):
            yield (value[1], ctx.timer_service().current_processing_time())

    stream = clocked([("a", 1, 100), ("a", 2, 250)])
    assert list(stream.process(Now()).execute_and_collect()) == [(1, 100), (2, 250)]


def test_every_current_processing_time_reads_the_clock():
    from oxflow.datastream import CoProcessFunction
    from oxflow.datastream.window import Trigger, TriggerResult

    class FireWithTime(Trigger):
        def on_element(self, element, timestamp, window, ctx):
            SEEN.append(("trigger", ctx.get_current_processing_time()))
            return TriggerResult.FIRE

        def on_event_time(self, time, window, ctx):
            return TriggerResult.CONTINUE

        def on_processing_time(self, time, window, ctx):
            return TriggerResult.CONTINUE

        def clear(self, window, ctx):
            pass

    class CoNow(CoProcessFunction):
        def process_element1(self, value, ctx):
            yield "co", ctx.timer_service().current_processing_time()

        def process_element2(self, value, ctx):
            yield "co", ctx.timer_service().current_processing_time()

    SEEN = []
    assert windowed([("a", 1, 700)], TumblingProcessingTimeWindows.of(1000), FireWithTime()) == ["a 0 1000 [1] 700"]
    assert SEEN == [("trigger", 700)]
    stream = clocked([("a", 1, 300), ("a", 2, 450)])
    # Two inputs run as two tasks: when each element comes is not fixed, but it is the clock's time.
    out = list(stream.connect(stream.map(lambda e: e)).process(CoNow()).execute_and_collect())
    assert len(out) == 4 and {t for _, t in out} <= {300, 450, END}
