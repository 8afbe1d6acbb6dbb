"""Keyed state, timers, timestamps/watermarks and side outputs through the public API."""

import time

import pytest

from conftest import collect, env_with, multiset
from oxflow.common import Duration, Time, Types, WatermarkStrategy
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream import (
    AggregateFunction,
    KeyedProcessFunction,
    MapFunction,
    OutputTag,
    ProcessFunction,
    RuntimeContext,
    TimeDomain,
)
from oxflow.datastream.state import (
    AggregatingStateDescriptor,
    ListStateDescriptor,
    MapStateDescriptor,
    ReducingStateDescriptor,
    StateTtlConfig,
    ValueStateDescriptor,
)


class CountAlert(KeyedProcessFunction):
    """The reference notes' example, unchanged except for imports."""

    def __init__(self):
        self.state_desc = ValueStateDescriptor("count", Types.INT())

    def open(self, runtime_context: RuntimeContext):
        self.count_state = runtime_context.get_state(self.state_desc)

    def process_element(self, value, ctx):
        count = self.count_state.value() or 0
        count += 1

        # Alert if count exceeds threshold
        if count > 100:
            print(f"Alert! User {value['user_id']} exceeded threshold: {count}")

        # Update state
        self.count_state.update(count)


def test_count_alert_from_the_notes(capsys):
    env = env_with(1)
    data_stream = env.from_collection([{"user_id": i % 2} for i in range(205)])
    data_stream.key_by(lambda x: x["user_id"]).process(CountAlert()).print()
    env.execute()
    assert capsys.readouterr().out.splitlines() == [
        "Alert! User 0 exceeded threshold: 101",
        "Alert! User 1 exceeded threshold: 101",
        "Alert! User 0 exceeded threshold: 102",
        "Alert! User 1 exceeded threshold: 102",
        "Alert! User 0 exceeded threshold: 103",
    ]


class AllStates(KeyedProcessFunction):
    class Avg(AggregateFunction):
        def create_accumulator(self):
            return (0, 0)

        def add(self, value, acc):
            return acc[0] + value, acc[1] + 1

        def get_result(self, acc):
            return acc[0] / acc[1]

    def open(self, ctx):
        self.count = ctx.get_state(ValueStateDescriptor("count", Types.INT()))
        self.items = ctx.get_list_state(ListStateDescriptor("items", Types.INT()))
        self.by_parity = ctx.get_map_state(MapStateDescriptor("parity", Types.STRING(), Types.INT()))
        self.total = ctx.get_reducing_state(ReducingStateDescriptor("total", lambda a, b: a + b, Types.INT()))
        self.avg = ctx.get_aggregating_state(AggregatingStateDescriptor("avg", AllStates.Avg(), Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx):
        key, n = value
        self.count.update((self.count.value() or 0) + 1)
        self.items.add(n)
        parity = "even" if n % 2 == 0 else "odd"
        self.by_parity[parity] = self.by_parity.get(parity) or 0
        self.by_parity.put(parity, self.by_parity.get(parity) + 1)
        self.total.add(n)
        self.avg.add(n)
        if self.count.value() == 5:
            yield key, self.count.value(), sorted(self.items.get()), dict(self.by_parity.items()), self.total.get(), self.avg.get()
            self.items.clear()
            self.by_parity.clear()


def test_every_state_type_per_key(parallelism):
    data = [("k%d" % (i % 3), i) for i in range(15)]
    out = collect(lambda env: env.from_collection(data).key_by(lambda v: v[0]).process(AllStates()), parallelism)
    expected = []
    for k in range(3):
        values = [i for i in range(15) if i % 3 == k]
        parity = {}
        for n in values:
            p = "even" if n % 2 == 0 else "odd"
            parity[p] = parity.get(p, 0) + 1
        expected.append(("k%d" % k, 5, values, parity, sum(values), sum(values) / 5))
    assert multiset(out) == multiset(expected)


class Ttl(KeyedProcessFunction):
    def open(self, ctx):
        desc = ValueStateDescriptor("v", Types.INT())
        desc.enable_time_to_live(StateTtlConfig.new_builder(Time.milliseconds(50)).build())
        self.v = ctx.get_state(desc)

    def process_element(self, value, ctx):
        if value == "sleep":
            time.sleep(0.15)
            return
        yield value, self.v.value()
        self.v.update(value)


def test_state_time_to_live():
    out = collect(lambda env: env.from_collection(["a", "b", "sleep", "c"]).key_by(lambda v: 0).process(Ttl()), 1)
    assert out == [("a", None), ("b", "a"), ("c", None)], "the value written at 'b' expired during the sleep"


class Ts(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


def timestamped(env, data, delay_ms=0):
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(delay_ms)).with_timestamp_assigner(Ts()).with_per_event_emission()
    return env.from_collection(data).assign_timestamps_and_watermarks(strategy)


class EventTimers(KeyedProcessFunction):
    def process_element(self, value, ctx):
        ctx.timer_service().register_event_time_timer(ctx.timestamp() + 100)
        yield "element", ctx.get_current_key(), ctx.timestamp(), ctx.timer_service().current_watermark()

    def on_timer(self, timestamp, ctx):
        yield "timer", ctx.get_current_key(), timestamp, ctx.time_domain() == TimeDomain.EVENT_TIME


def test_event_time_timers_fire_as_the_watermark_passes_them():
    data = [("a", 0), ("b", 50), ("a", 120), ("b", 400), ("a", 130)]
    out = collect(lambda env: timestamped(env, data).key_by(lambda v: v[0]).process(EventTimers()), 1)
    # An element reaches the operator before the watermark it causes: (a, 0) sees no watermark
    # yet, (b, 50) sees 0 - 0 - 1 = -1.
    assert out == [
        ("element", "a", 0, -(2**63)),
        ("element", "b", 50, -1),
        ("element", "a", 120, 49),
        ("timer", "a", 100, True),
        ("element", "b", 400, 119),
        ("timer", "b", 150, True),
        ("timer", "a", 220, True),
        ("element", "a", 130, 399),
        ("timer", "a", 230, True),
        ("timer", "b", 500, True),
    ]


def test_timer_outputs_are_the_same_multiset_in_parallel(parallelism):
    data = [("k%d" % (i % 5), i * 10) for i in range(40)]
    out = collect(lambda env: timestamped(env, data).key_by(lambda v: v[0]).process(EventTimers()), parallelism)
    timers = sorted(o[1:] for o in out if o[0] == "timer")
    assert timers == sorted(("k%d" % (i % 5), i * 10 + 100, True) for i in range(40))


class ProcessingTimers(KeyedProcessFunction):
    def process_element(self, value, ctx):
        now = ctx.timer_service().current_processing_time()
        ctx.timer_service().register_processing_time_timer(now + 20)
        time.sleep(0.05)

    def on_timer(self, timestamp, ctx):
        yield ctx.get_current_key(), ctx.time_domain().name


def test_processing_time_timers_fire_on_the_clock():
    out = collect(lambda env: env.from_collection(["x"]).key_by(lambda v: v).process(ProcessingTimers()), 1)
    assert out == [("x", "PROCESSING_TIME")]


def test_timestamp_assigner_must_return_an_int():
    env = env_with(1)
    strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda v, ts: "soon")
    env.from_collection([1]).assign_timestamps_and_watermarks(strategy).print()
    with pytest.raises(TypeError, match=r"timestamp assigner of operator 'Timestamps/Watermarks' returned str 'soon' for element int 1"):
        env.execute()


@pytest.mark.parametrize("assigner, error, message", [
    (lambda v, ts: 1 / 0 if v == 2 else v, ZeroDivisionError, "division by zero"),
    (lambda v, ts: 1.5, TypeError, r"returned float 1.5 for element int \d; it must return an int"),
    (lambda v, ts: None, TypeError, r"returned NoneType None for element int \d"),
], ids=["raises", "float", "none"])
def test_a_failing_timestamp_assigner_names_the_operator_and_the_element(parallelism, assigner, error, message):
    env = env_with(parallelism)
    env.from_collection([1, 2, 3]).assign_timestamps_and_watermarks(WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(assigner)).print()
    with pytest.raises(error, match=message) as raised:
        env.execute()
    notes = " ".join(getattr(raised.value, "__notes__", []))
    assert "operator 'Timestamps/Watermarks'" in notes + str(raised.value)
    if error is ZeroDivisionError:
        assert "while processing element: int 2" in notes


class DeletingTimers(KeyedProcessFunction):
    """Two event-time timers per element; even values delete the first again."""

    def process_element(self, value, ctx):
        ts = ctx.timestamp()
        ctx.timer_service().register_event_time_timer(ts + 10)
        ctx.timer_service().register_event_time_timer(ts + 20)
        if value[1] % 2 == 0:
            ctx.timer_service().delete_event_time_timer(ts + 10)
        # Deleting a timer that was never registered does nothing.
        ctx.timer_service().delete_event_time_timer(ts + 5)
        ctx.timer_service().delete_processing_time_timer(ts + 10)
        return []

    def on_timer(self, timestamp, ctx):
        # As PyFlink: in on_timer, ctx.timestamp() is the timer's timestamp.
        yield ctx.get_current_key(), timestamp, ctx.timestamp(), ctx.time_domain().name


def test_deleted_event_time_timers_do_not_fire(parallelism):
    # (The value is the timestamp: the elements at 200 and 1000 delete their +10 timer.)
    data = [("a", 101), ("b", 200), ("a", 301), ("b", 1000)]
    out = collect(lambda env: timestamped(env, data).key_by(lambda v: v[0]).process(DeletingTimers()), parallelism)
    expected = [("a", 111), ("a", 121), ("b", 220), ("a", 311), ("a", 321), ("b", 1020)]
    assert multiset(out) == multiset([(k, t, t, "EVENT_TIME") for k, t in expected])
    if parallelism == 1:
        assert [o[1] for o in out] == [111, 121, 220, 311, 321, 1020]


SMALL = OutputTag("small", Types.INT())


class Splitter(ProcessFunction):
    def process_element(self, value, ctx):
        if value < 5:
            yield SMALL, value
        else:
            yield value


def test_side_outputs_of_process_functions(parallelism):
    def build(env, which):
        main = env.from_collection(list(range(10))).process(Splitter(), output_type=Types.INT())
        return main if which == "main" else main.get_side_output(SMALL)

    assert sorted(collect(lambda env: build(env, "main"), parallelism)) == [5, 6, 7, 8, 9]
    assert sorted(collect(lambda env: build(env, "side"), parallelism)) == [0, 1, 2, 3, 4]


class WrongSideOutput(ProcessFunction):
    def process_element(self, value, ctx):
        yield value
        if value == 3:
            yield SMALL, "three"


def test_side_output_values_are_checked_against_the_tag_type(parallelism):
    with pytest.raises(TypeError) as info:
        collect(lambda env: env.from_collection(list(range(6))).process(WrongSideOutput(), Types.INT()), parallelism)
    message = str(info.value)
    assert "operator 'Process'" in message and "'three'" in message and "side output 'small'" in message and "Integer" in message


class KeyedSplitter(KeyedProcessFunction):
    process_element = Splitter.process_element


def test_side_and_main_outputs_in_one_job(capsys):
    env = env_with(2)
    main = env.from_collection(list(range(6))).key_by(lambda v: v % 2).process(KeyedSplitter())
    main.get_side_output(SMALL).map(lambda v: "side %d" % v).print().set_parallelism(1)
    main.map(lambda v: "main %d" % v).print().set_parallelism(1)
    env.execute()
    assert sorted(capsys.readouterr().out.splitlines()) == ["main 5", "side 0", "side 1", "side 2", "side 3", "side 4"]


class Counting(MapFunction):
    def open(self, ctx):
        self.seen = ctx.get_state(ValueStateDescriptor("seen", Types.INT()))

    def map(self, value):
        self.seen.update((self.seen.value() or 0) + 1)
        return value, self.seen.value()


def test_keyed_map_function_with_state(parallelism):
    out = collect(lambda env: env.from_collection(["a", "b", "a", "a"]).key_by(lambda v: v).map(Counting()), parallelism)
    assert multiset(out) == multiset([("a", 1), ("b", 1), ("a", 2), ("a", 3)])


def test_keyed_state_on_a_non_keyed_stream_raises():
    env = env_with(1)
    env.from_collection([1]).map(Counting()).print()
    with pytest.raises(RuntimeError, match="Keyed state can only be used on a 'keyed stream'"):
        env.execute()


class SeesWatermark(ProcessFunction):
    def process_element(self, value, ctx):
        yield value[1], ctx.timer_service().current_watermark()


MIN_WATERMARK = -(2**63)


def watermarks_seen(parallelism, strategy, interval=None):
    """(timestamp, watermark seen) per element; element i has timestamp i * 100 and arrives when
    a ManualClock reads i * 250 (one element per batch, so the clock moves between them)."""
    from oxflow.common import Configuration
    from oxflow.datastream import ManualClock, StreamExecutionEnvironment

    config = Configuration()
    config.set_string("python.fn-execution.bundle.size", "1")
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(parallelism)
    clock = ManualClock(0)
    env.set_clock(clock)
    if interval is not None:
        env.get_config().set_auto_watermark_interval(interval)

    def arrive(e):
        clock.set(e[2])
        return e

    data = [("k", i * 100, i * 250) for i in range(12)]
    stream = env.from_collection(data).map(arrive).set_parallelism(1)
    stream = stream.assign_timestamps_and_watermarks(strategy.with_timestamp_assigner(lambda v, r: v[1])).set_parallelism(1)
    return sorted(stream.process(SeesWatermark()).execute_and_collect())


@pytest.mark.parametrize("interval, first_seen", [(1000, {5: 399, 9: 799}), (300, {3: 199, 5: 399, 7: 599, 9: 799, 11: 999}), (0, {})])
def test_auto_watermark_interval_is_processing_time_between_watermarks(parallelism, interval, first_seen):
    # Periodic watermarks (timestamp - 1) go out once `interval` ms of processing time passed since
    # the last; 0 turns them off. The element after an emission is the first to see it.
    out = watermarks_seen(parallelism, WatermarkStrategy.for_monotonous_timestamps(), interval)
    watermark, expected = MIN_WATERMARK, []
    for i in range(12):
        watermark = first_seen.get(i, watermark)
        expected.append((i * 100, watermark))
    assert out == expected


def test_no_watermarks_leaves_event_time_at_the_start_until_the_end(parallelism):
    assert watermarks_seen(parallelism, WatermarkStrategy.no_watermarks(), 100) == [(i * 100, MIN_WATERMARK) for i in range(12)]
    # Event-time windows then fire only at the end of the input, on the maximum watermark.
    from oxflow.datastream import ProcessWindowFunction
    from oxflow.datastream.window import TumblingEventTimeWindows

    class FiredAt(ProcessWindowFunction):
        def process(self, key, context, elements):
            yield context.window().start, context.current_watermark()

    strategy = WatermarkStrategy.no_watermarks().with_timestamp_assigner(lambda v, r: v[1])
    out = collect(
        lambda env: env.from_collection([("a", 100), ("a", 1500), ("b", 2500)])
        .assign_timestamps_and_watermarks(strategy)
        .key_by(lambda v: v[0])
        .window(TumblingEventTimeWindows.of(1000))
        .process(FiredAt()),
        parallelism,
    )
    assert sorted(out) == [(0, 2**63 - 1), (1000, 2**63 - 1), (2000, 2**63 - 1)]


def test_an_idle_input_stops_holding_back_the_watermark(parallelism):
    """Input b never emits but runs longer than a: without idleness its watermark holds every
    window back until b ends; with `with_idleness` b is left out after 100 ms, and a's windows
    fire while b still runs."""
    from oxflow.common import Configuration
    from oxflow.datastream import ProcessWindowFunction, StreamExecutionEnvironment
    from oxflow.datastream.connectors.number_seq import NumberSequenceSource
    from oxflow.datastream.window import TumblingEventTimeWindows

    b_ended = []

    def slow_a(x):
        time.sleep(0.02)
        return x

    def slow_b(x):
        time.sleep(0.01)
        if x == 120:
            b_ended.append(True)
        return x

    class FiredWhile(ProcessWindowFunction):
        def process(self, key, context, elements):
            yield context.window().start, "b ended" if b_ended else "b running"

    def run(idle):
        del b_ended[:]
        config = Configuration()
        config.set_integer("python.fn-execution.bundle.size", 1)
        env = StreamExecutionEnvironment.get_execution_environment(config)
        env.set_parallelism(parallelism)
        env.get_config().set_auto_watermark_interval(20)
        a_strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda v, r: v * 100)
        b_strategy = WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(lambda v, r: v * 100)
        if idle:
            b_strategy = b_strategy.with_idleness(Duration.of_millis(100))
        a = env.from_source(NumberSequenceSource(1, 25), None, "a").set_parallelism(1).map(slow_a).set_parallelism(1).assign_timestamps_and_watermarks(a_strategy).set_parallelism(1)
        b = env.from_source(NumberSequenceSource(1, 120), None, "b").set_parallelism(1).map(slow_b).set_parallelism(1).filter(lambda x: False).set_parallelism(1)
        b = b.assign_timestamps_and_watermarks(b_strategy).set_parallelism(1)
        windows = a.union(b).key_by(lambda v: 0).window(TumblingEventTimeWindows.of(Time.seconds(1)))
        return sorted(windows.process(FiredWhile()).execute_and_collect())

    assert run(idle=False) == [(0, "b ended"), (1000, "b ended"), (2000, "b ended")]
    with_idleness = run(idle=True)
    assert [w for w, _ in with_idleness] == [0, 1000, 2000]
    assert with_idleness[0] == (0, "b running") and with_idleness[1] == (1000, "b running")
