"""Golden pipelines run straight through, and again stopped with a savepoint mid-way and
restored at another parallelism (1 -> 3 and 4 -> 2): the committed output (exactly-once file
sink) of the two halves together must equal the straight run's, line for line as a multiset.

The pipelines cover the kinds of state a restore must carry: a rolling reduce, event-time
tumbling and session windows (window contents, timers, merging windows), a KeyedProcessFunction
with value/list/map state and event-time timers, and a window function's per-window state."""

import time
from collections import Counter
from pathlib import Path

import pytest

from crash_harness import committed_lines
from oxflow.common import Configuration, Duration, Types, WatermarkStrategy
from oxflow.common.restart_strategy import RestartStrategies
from oxflow.common.serialization import Encoder
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream import KeyedProcessFunction, ProcessWindowFunction, StreamExecutionEnvironment
from oxflow.datastream.connectors.file_system import BucketAssigner, FileSink
from oxflow.datastream.connectors.number_seq import NumberSequenceSource
from oxflow.datastream.state import ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor
from oxflow.datastream.window import EventTimeSessionWindows, TumblingEventTimeWindows

NUMBERS = 4000


class ByTime(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


def paced(n):
    # Slow enough to stop mid-way; the event time of n is 10 n ms, with gaps every 700 numbers
    # so that sessions close.
    if n % 20 == 0:
        time.sleep(0.004)
    return (n % 6, 10 * n + (n // 700) * 5000, n)


def timed(env):
    """The numbers with timestamps, read and timestamped by one instance with a watermark after
    every element (an oxflow extension): what the keyed operators see, and when their timers
    fire relative to their elements, is then the same in every run at any parallelism."""
    numbers = env.from_source(NumberSequenceSource(1, NUMBERS), None, "numbers").uid("numbers").set_parallelism(1)
    strategy = (WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(50)).with_timestamp_assigner(ByTime())
                .with_per_event_emission())
    return (numbers.map(paced).uid("paced").set_parallelism(1)
            .assign_timestamps_and_watermarks(strategy).uid("timestamps").set_parallelism(1))


def rolling(env):
    return (timed(env).map(lambda t: (t[0], t[2])).uid("pairs").set_parallelism(1).key_by(lambda t: t[0])
            .reduce(lambda a, b: (a[0], a[1] + b[1])).uid("reduce"))


def tumbling(env):
    return (timed(env).map(lambda t: (t[0], t[1] - t[1] % 1000, t[2])).uid("pairs").key_by(lambda t: t[0])
            .window(TumblingEventTimeWindows.of(Duration.of_seconds(1)))
            .reduce(lambda a, b: (a[0], a[1], a[2] + b[2])).uid("window"))


class SessionSummary(ProcessWindowFunction):
    def process(self, key, ctx, elements):
        values = [e[2] for e in elements]
        yield (key, ctx.window().start, ctx.window().end, len(values), sum(values))


def sessions(env):
    return (timed(env).key_by(lambda t: t[0])
            .window(EventTimeSessionWindows.with_gap(Duration.of_millis(2000)))
            .process(SessionSummary()).uid("sessions"))


class Tracker(KeyedProcessFunction):
    """Per key: a count, the last three values, a map of parity counts; an event-time timer
    100 ms after each element emits a summary."""

    def open(self, runtime_context):
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))
        self.last = runtime_context.get_list_state(ListStateDescriptor("last", Types.LONG()))
        self.parity = runtime_context.get_map_state(MapStateDescriptor("parity", Types.STRING(), Types.LONG()))

    def process_element(self, value, ctx):
        self.count.update((self.count.value() or 0) + 1)
        last = list(self.last.get())[-2:] + [value[2]]
        self.last.update(last)
        p = "even" if value[2] % 2 == 0 else "odd"
        self.parity.put(p, (self.parity.get(p) or 0) + 1)
        ctx.timer_service().register_event_time_timer(ctx.timestamp() + 100)
        return iter(())

    def on_timer(self, timestamp, ctx):
        yield (ctx.get_current_key(), timestamp, self.count.value(), tuple(self.last.get()),
               self.parity.get("even") or 0, self.parity.get("odd") or 0)


def process_function(env):
    return timed(env).key_by(lambda t: t[0]).process(Tracker()).uid("tracker")


class Refirings(ProcessWindowFunction):
    def process(self, key, ctx, elements):
        fires = ctx.window_state().get_state(ValueStateDescriptor("fires", Types.INT()))
        fires.update((fires.value() or 0) + 1)
        total = ctx.global_state().get_state(ValueStateDescriptor("total", Types.LONG()))
        total.update((total.value() or 0) + sum(e[2] for e in elements))
        yield (key, ctx.window().start, fires.value(), total.value())

    def clear(self, ctx):
        ctx.window_state().get_state(ValueStateDescriptor("fires", Types.INT())).clear()


def window_state(env):
    return (timed(env).key_by(lambda t: t[0]).window(TumblingEventTimeWindows.of(Duration.of_seconds(2)))
            .process(Refirings()).uid("refirings"))


PIPELINES = {"rolling": rolling, "tumbling": tumbling, "sessions": sessions, "process_function": process_function,
             "window_state": window_state}


def run(pipeline, out, parallelism, tmp_path, restore=None, stop_after=None):
    conf = Configuration()
    conf.set_string("execution.checkpointing.dir", str(tmp_path / "chk"))
    if restore:
        conf.set_string("execution.state-recovery.path", restore)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(parallelism)
    env.enable_checkpointing(60_000)
    env.set_restart_strategy(RestartStrategies.no_restart())
    sink = FileSink.for_row_format(str(out), Encoder.simple_string_encoder()).with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()
    PIPELINES[pipeline](env).map(repr, output_type=Types.STRING()).uid("format").sink_to(sink).uid("sink")
    if stop_after is None:
        env.execute(pipeline)
        return None
    client = env.execute_async(pipeline)
    time.sleep(stop_after)
    return client.stop_with_savepoint(False, str(tmp_path / "savepoints")).result(timeout=120)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    cache = {}

    def get(pipeline):
        if pipeline not in cache:
            base = tmp_path_factory.mktemp("straight-" + pipeline)
            run(pipeline, base / "out", 2, base)
            cache[pipeline] = committed_lines(base / "out")
        return cache[pipeline]

    return get


@pytest.mark.parametrize("before,after", [(1, 3), (4, 2)], ids=["1to3", "4to2"])
@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_stop_and_restore_at_another_parallelism_gives_the_straight_output(pipeline, before, after, straight, tmp_path):
    expected = straight(pipeline)
    assert sum(expected.values()) > 10
    savepoint = run(pipeline, tmp_path / "out", before, tmp_path, stop_after=0.4)
    first = committed_lines(tmp_path / "out")
    assert 0 < sum(first.values()) < sum(expected.values()) or pipeline in ("sessions", "window_state"), "stopped mid-way"
    run(pipeline, tmp_path / "out", after, tmp_path, restore=savepoint)
    got = committed_lines(tmp_path / "out")
    assert got == expected, "missing %s, extra %s" % (list((expected - got).items())[:3], list((got - expected).items())[:3])
