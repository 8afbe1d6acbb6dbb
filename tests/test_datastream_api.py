"""The DataStream API through its public methods, each pipeline at parallelism 1 and 4."""

import json

import pytest

from conftest import collect, env_with, multiset
from oxflow.common import Row, Types
from oxflow.datastream import (
    FilterFunction,
    FlatMapFunction,
    KeySelector,
    MapFunction,
    ProcessFunction,
    RuntimeContext,
    RuntimeExecutionMode,
    StreamExecutionEnvironment,
)
from oxflow.datastream.connectors.number_seq import NumberSequenceSource


def test_map_filter_flat_map_lambdas(parallelism):
    out = collect(
        lambda env: env.from_collection(list(range(100)))
        .map(lambda x: x * 3)
        .filter(lambda x: x % 2 == 0)
        .flat_map(lambda x: [x, -x]),
        parallelism,
    )
    expected = [y for x in range(100) if (x * 3) % 2 == 0 for y in (x * 3, -(x * 3))]
    assert multiset(out) == multiset(expected)


class Doubler(MapFunction):
    def open(self, runtime_context: RuntimeContext):
        self.factor = 2

    def map(self, value):
        return value * self.factor


class Evens(FilterFunction):
    def filter(self, value):
        return value % 4 == 0


class Repeat(FlatMapFunction):
    def flat_map(self, value):
        for _ in range(2):
            yield value


def test_function_classes_with_open(parallelism):
    out = collect(lambda env: env.from_collection(list(range(50))).map(Doubler()).filter(Evens()).flat_map(Repeat()), parallelism)
    assert multiset(out) == multiset([x * 2 for x in range(50) if (x * 2) % 4 == 0 for _ in range(2)])


def test_flat_map_may_return_none_or_any_iterable(parallelism):
    out = collect(lambda env: env.from_collection([0, 1, 2, 3]).flat_map(lambda x: None if x == 0 else range(x)), parallelism)
    assert sorted(out) == [0, 0, 0, 1, 1, 2]


def test_keyed_reduce_is_rolling_and_parallelism_independent(parallelism):
    data = [("k%d" % (i % 7), i) for i in range(1000)]
    out = collect(lambda env: env.from_collection(data).key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])), parallelism)
    assert len(out) == 1000
    finals = {}
    for k, v in out:
        finals[k] = max(finals.get(k, v), v)
    assert finals == {"k%d" % k: sum(i for i in range(1000) if i % 7 == k) for k in range(7)}
    assert multiset(out) == multiset(collect(lambda env: env.from_collection(data).key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])), 1))


class FirstField(KeySelector):
    def get_key(self, value):
        return value[0]


def test_key_selector_class_and_keyed_map_filter_flat_map(parallelism):
    data = [(i % 3, i) for i in range(30)]
    out = collect(
        lambda env: env.from_collection(data).key_by(FirstField()).map(lambda t: (t[0], t[1] * 10)).key_by(lambda t: t[0]).filter(lambda t: t[1] > 100),
        parallelism,
    )
    assert multiset(out) == multiset([(k, v * 10) for k, v in data if v * 10 > 100])
    out = collect(lambda env: env.from_collection(data).key_by(lambda t: t[0]).flat_map(lambda t: [t, t]), parallelism)
    assert multiset(out) == multiset(data + data)


DATA = [("a", 3, 1), ("b", 1, 2), ("a", 1, 3), ("a", 5, 4), ("b", 7, 5), ("b", 1, 6)]
T3 = Types.TUPLE([Types.STRING(), Types.INT(), Types.INT()])


def rolling(parallelism, aggregate):
    return collect(lambda env: aggregate(env.from_collection(DATA, type_info=T3).key_by(lambda t: t[0])), parallelism)


def test_rolling_sum_min_max_keep_first_elements_other_fields(parallelism):
    assert multiset(rolling(parallelism, lambda ks: ks.sum(1))) == multiset(
        [("a", 3, 1), ("b", 1, 2), ("a", 4, 1), ("a", 9, 1), ("b", 8, 2), ("b", 9, 2)]
    )
    assert multiset(rolling(parallelism, lambda ks: ks.min(1))) == multiset(
        [("a", 3, 1), ("b", 1, 2), ("a", 1, 1), ("a", 1, 1), ("b", 1, 2), ("b", 1, 2)]
    )
    assert multiset(rolling(parallelism, lambda ks: ks.max(1))) == multiset(
        [("a", 3, 1), ("b", 1, 2), ("a", 3, 1), ("a", 5, 1), ("b", 7, 2), ("b", 7, 2)]
    )


def test_rolling_min_by_max_by_keep_whole_elements(parallelism):
    assert multiset(rolling(parallelism, lambda ks: ks.min_by(1))) == multiset(
        [("a", 3, 1), ("b", 1, 2), ("a", 1, 3), ("a", 1, 3), ("b", 1, 2), ("b", 1, 2)]
    )
    assert multiset(rolling(parallelism, lambda ks: ks.max_by(1))) == multiset(
        [("a", 3, 1), ("b", 1, 2), ("a", 3, 1), ("a", 5, 4), ("b", 7, 5), ("b", 7, 5)]
    )


def test_sum_of_plain_numbers_and_named_row_fields(parallelism):
    out = collect(lambda env: env.from_collection([1, 2, 3, 4]).key_by(lambda x: x % 2).sum(), parallelism)
    assert multiset(out) == multiset([1, 2, 4, 6])
    rows = [Row(name="x", v=1), Row(name="x", v=2)]
    out = collect(lambda env: env.from_collection(rows).key_by(lambda r: r.name).sum("v"), parallelism)
    assert sorted(r.v for r in out) == [1, 3]


def test_union_of_streams(parallelism):
    def build(env):
        a = env.from_collection([1, 2, 3])
        b = env.from_collection([10, 20])
        c = env.from_source(NumberSequenceSource(100, 104), None, "seq")
        return a.union(b, c).map(lambda x: x + 1)

    assert sorted(collect(build, parallelism)) == [2, 3, 4, 11, 21, 101, 102, 103, 104, 105]


def test_union_of_streams_of_different_declared_types_raises_as_in_flink():
    env = env_with(1)
    strings = env.from_collection(["x"], type_info=Types.STRING())
    ints = env.from_collection([1], type_info=Types.INT())
    with pytest.raises(ValueError, match="^Cannot union streams of different types: String and Integer$"):
        strings.union(ints)
    with pytest.raises(ValueError, match="String and Integer"):
        strings.union(env.from_collection(["y"], type_info=Types.STRING()), ints)
    # Streams of the same type, or without a declared type (any Python object), union.
    assert multiset(strings.union(env.from_collection(["y"], type_info=Types.STRING()), env.from_collection([2])).execute_and_collect()) == multiset([2, "x", "y"])


class Tagger(ProcessFunction):
    def open(self, runtime_context):
        self.subtask = runtime_context.get_index_of_this_subtask()

    def process_element(self, value, ctx):
        assert ctx.timestamp() is None  # no timestamps assigned
        yield value, "seen"


def test_keyed_streams_need_a_keyed_process_function_as_in_pyflink():
    keyed = env_with(1).from_collection([1]).key_by(lambda v: v)
    for func in (Tagger(), Tagger, lambda v, ctx: [v]):
        with pytest.raises(TypeError) as info:
            keyed.process(func)
        assert str(info.value) == "KeyedProcessFunction is required for KeyedStream."


def test_process_function_yields_outputs(parallelism):
    out = collect(lambda env: env.from_collection(list(range(20))).process(Tagger()), parallelism)
    assert multiset(out) == multiset([(i, "seen") for i in range(20)])


class TimerOnNonKeyed(ProcessFunction):
    def __init__(self, method):
        self.method = method

    def process_element(self, value, ctx):
        getattr(ctx.timer_service(), self.method)(10)
        yield value


@pytest.mark.parametrize(
    "method, message",
    [
        ("register_event_time_timer", "Register timers is only supported on a keyed stream."),
        ("register_processing_time_timer", "Register timers is only supported on a keyed stream."),
        ("delete_event_time_timer", "Deleting timers is only supported on a keyed stream."),
        ("delete_processing_time_timer", "Deleting timers is only supported on a keyed stream."),
    ],
)
def test_timers_on_a_non_keyed_stream_raise_as_in_pyflink(method, message):
    env = env_with(1)
    env.from_collection([1]).process(TimerOnNonKeyed(method)).print()
    with pytest.raises(Exception) as info:
        env.execute()
    assert type(info.value) is Exception and str(info.value) == message


class WhereAmI(MapFunction):
    def open(self, runtime_context):
        self.info = (
            runtime_context.get_index_of_this_subtask(),
            runtime_context.get_number_of_parallel_subtasks(),
            runtime_context.get_job_parameter("greeting", "none"),
        )

    def map(self, value):
        return self.info


def test_runtime_context_and_job_parameters():
    env = env_with(3)
    env.get_config().set_global_job_parameters({"greeting": "hi"})
    out = set(env.from_source(NumberSequenceSource(1, 300), None, "seq").map(WhereAmI()).execute_and_collect())
    assert out == {(0, 3, "hi"), (1, 3, "hi"), (2, 3, "hi")}


@pytest.mark.parametrize("partition", ["shuffle", "rebalance", "rescale"])
def test_redistributing_partitionings_keep_every_element(partition, parallelism):
    def build(env):
        ds = env.from_source(NumberSequenceSource(1, 1000), None, "seq").set_parallelism(min(2, parallelism))
        return getattr(ds, partition)().map(WhereAmI()).map(lambda info: info[0])

    subtasks = collect(build, parallelism)
    assert len(subtasks) == 1000
    assert set(subtasks) == set(range(parallelism)), "every downstream instance gets elements"


@pytest.mark.parametrize("partition", ["shuffle", "rebalance", "rescale"])
def test_redistributing_to_one_instance_keeps_the_order(partition):
    out = collect(lambda env: getattr(env.from_source(NumberSequenceSource(1, 500), None, "seq"), partition)().map(lambda x: x), 1)
    assert out == list(range(1, 501))


def test_get_parallelism():
    from oxflow.common import Configuration

    env = StreamExecutionEnvironment.get_execution_environment()
    assert env.get_parallelism() >= 1
    assert env.set_parallelism(3) is env and env.get_parallelism() == 3
    config = Configuration()
    config.set_integer("parallelism.default", 5)
    assert StreamExecutionEnvironment.get_execution_environment(config).get_parallelism() == 5
    with pytest.raises(ValueError):
        env.set_parallelism(0)
    assert env.get_parallelism() == 3


def test_forward_and_broadcast():
    out = collect(lambda env: env.from_source(NumberSequenceSource(1, 100), None, "seq").forward().map(lambda x: x), 4)
    assert sorted(out) == list(range(1, 101))
    out = collect(lambda env: env.from_collection([1, 2, 3]).broadcast().map(lambda x: x).set_parallelism(3), 3)
    assert sorted(out) == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_forward_with_a_parallelism_change_is_rejected():
    env = env_with(2)
    env.from_collection([1, 2]).forward().map(lambda x: x).print()
    with pytest.raises(Exception, match="(?i)forward partitioning"):
        env.execute()


def test_keyed_stream_rejects_partitioning_and_names():
    env = env_with(1)
    ks = env.from_collection([1]).key_by(lambda x: x)
    for method in ("shuffle", "rebalance", "forward", "broadcast", "rescale"):
        with pytest.raises(Exception, match="Cannot override partitioning for KeyedStream"):
            getattr(ks, method)()
    with pytest.raises(Exception, match="not supported for KeyedStream"):
        ks.name("x")


def test_non_parallel_collection_source():
    env = env_with(2)
    with pytest.raises(ValueError, match="non parallel operator must be 1"):
        env.from_collection([1]).set_parallelism(2)


def test_names_uids_and_execution_plan():
    env = env_with(2)
    ds = env.from_collection([1, 2]).map(lambda x: x).name("double").uid("double-uid").set_parallelism(3)
    assert ds.get_name() == "double"
    ds.key_by(lambda x: x).reduce(lambda a, b: a + b).print()
    plan = json.loads(env.get_execution_plan())
    nodes = plan["nodes"]
    assert [n["contents"] for n in nodes] == ["Collection Source", "double", "Key By", "Keyed Reduce", "Print to Std. Out"]
    assert [n["parallelism"] for n in nodes] == [1, 3, 3, 2, 2]
    assert nodes[1]["predecessors"][0]["ship_strategy"] == "REBALANCE"
    assert nodes[3]["predecessors"][0]["ship_strategy"] == "HASH"
    assert nodes[4]["predecessors"][0]["ship_strategy"] == "FORWARD"
    assert nodes[0]["pact"] == "Data Source" and nodes[4]["pact"] == "Data Sink"


def test_execute_without_sinks_raises_and_execute_consumes_the_graph(capsys):
    env = env_with(1)
    env.from_collection([1]).map(lambda x: x)
    with pytest.raises(RuntimeError, match="No operators defined"):
        env.execute()
    env.from_collection([7]).print()
    env.execute()
    with pytest.raises(RuntimeError, match="No operators defined"):
        env.execute()
    assert capsys.readouterr().out == "7\n"


def test_execute_and_collect_with_limit_stops_early():
    env = env_with(2)
    out = env.from_source(NumberSequenceSource(1, 10_000_000), None, "big").map(lambda x: x).execute_and_collect(limit=5)
    assert len(out) == 5


def test_closing_the_result_iterator_cancels_the_job():
    env = env_with(1)
    with env.from_source(NumberSequenceSource(1, 10_000_000), None, "big").execute_and_collect() as results:
        first = [next(results) for _ in range(3)]
    assert first == [1, 2, 3]


def test_execute_async_returns_a_job_client():
    env = env_with(2)
    env.from_collection(list(range(10))).map(lambda x: x).print()
    client = env.execute_async("async job")
    result = client.get_job_execution_result().result(timeout=30)
    assert result.get_job_id() == client.get_job_id()
    assert client.get_job_status().result(timeout=5).name == "FINISHED"


def test_execute_async_cancel():
    env = env_with(1)
    env.from_source(NumberSequenceSource(1, 10**12), None, "endless").filter(lambda x: False).print()
    client = env.execute_async("endless")
    client.cancel().result(timeout=30)
    assert client.get_job_status().result(timeout=5).name == "CANCELED"


def test_batch_mode_emits_final_results_only(parallelism):
    env = env_with(parallelism)
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    data = [("a", 1), ("b", 2), ("a", 3)]
    out = list(env.from_collection(data).key_by(lambda t: t[0]).reduce(lambda a, b: (a[0], a[1] + b[1])).execute_and_collect())
    assert sorted(out) == [("a", 4), ("b", 2)]


def test_execute_returns_a_job_execution_result():
    env = env_with(1)
    env.from_collection([1]).print()
    result = env.execute("named")
    assert result.get_net_runtime() >= 0
    assert len(result.get_job_id().to_hex_string()) == 32


def test_print_identifier_and_typed_formats(capsys, parallelism):
    import re

    env = env_with(parallelism)
    env.from_collection([(1, "a")], type_info=Types.ROW([Types.INT(), Types.STRING()])).print("rows")
    env.from_collection([1.5], type_info=Types.FLOAT()).print()
    env.from_collection([True], type_info=Types.BOOLEAN()).print()
    env.execute()
    lines = capsys.readouterr().out.splitlines()
    if parallelism == 1:
        assert sorted(lines) == sorted(["rows> +I[1, a]", "1.5", "true"])
    else:
        # In parallel, Java's print sink names the subtask (1-based): `rows:3> ...`, `2> ...`.
        assert len(lines) == 3 and all(re.match(r"^(rows:)?[1-4]> ", line) for line in lines), lines
        assert sorted(re.sub(r"^(rows:)?[1-4]> ", lambda m: "rows> " if m.group(1) else "", line) for line in lines) == sorted(["rows> +I[1, a]", "1.5", "true"])


def test_disable_chaining_gives_the_same_results(parallelism):
    env = env_with(parallelism)
    env.disable_operator_chaining()
    out = list(env.from_collection(list(range(100))).map(lambda x: x + 1).key_by(lambda x: x % 3).sum().execute_and_collect())
    assert len(out) == 100
    assert StreamExecutionEnvironment.get_execution_environment().is_chaining_enabled()


def test_float_fields_behave_as_32_bit_floats(capsys, parallelism):
    # As in PyFlink, a value declared FLOAT goes through Java's 32-bit float: a UDF sees the 32-bit
    # value, and what reaches the caller is the shortest decimal of it (Java's Float.toString).
    out = collect(lambda env: env.from_collection([0.1], type_info=Types.FLOAT()).map(lambda x: x * 3), parallelism)
    assert out == [0.30000000447034836]
    out = collect(lambda env: env.from_collection([0.1, 1e-8], type_info=Types.FLOAT()), parallelism)
    assert out == [0.1, 1e-08]
    out = collect(lambda env: env.from_collection([1]).map(lambda x: ("a", 1 / 3), output_type=Types.TUPLE([Types.STRING(), Types.FLOAT()])), parallelism)
    assert out == [("a", 0.33333334)]
    nested = Types.ROW_NAMED(["xs", "m"], [Types.LIST(Types.FLOAT()), Types.MAP(Types.STRING(), Types.FLOAT())])
    out = collect(lambda env: env.from_collection([1]).map(lambda x: Row(xs=[0.7, None], m={"k": 2 / 3}), output_type=nested), parallelism)
    assert out == [Row(xs=[0.7, None], m={"k": 0.6666667})]
    assert out[0].as_dict() == {"xs": [0.7, None], "m": {"k": 0.6666667}}
    env = env_with(parallelism)
    env.from_collection([1]).map(lambda x: 13 / 3, output_type=Types.FLOAT()).print()
    env.from_collection([1]).map(lambda x: 13 / 3, output_type=Types.DOUBLE()).print()
    env.execute()
    printed = [line.split("> ")[-1] for line in capsys.readouterr().out.split("\n") if line]
    assert sorted(printed) == ["4.333333333333333", "4.3333335"]


def test_single_task_jobs_run_inline_and_others_on_threads(capsys):
    """A parallelism-1 job that fuses into one task runs on the calling thread; results are the
    same either way."""
    import threading

    def thread_name(_):
        return threading.current_thread().name

    env = env_with(1)
    names = set(env.from_collection([1, 2, 3]).map(thread_name).execute_and_collect())
    assert names == {threading.current_thread().name}
    env = env_with(2)
    names = set(env.from_collection([1, 2, 3]).map(thread_name).execute_and_collect())
    assert threading.current_thread().name not in names


def test_a_for_loop_over_execute_and_collect_keeps_a_parallel_job_running():
    """The iterator is a temporary of the `for` statement; dropping it would cancel the job, so
    iterating must keep it alive until the last element (here across garbage collections)."""
    import gc

    from oxflow.common.typeinfo import Types
    from oxflow.datastream import StreamExecutionEnvironment

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(4)
    ds = env.from_collection(list(range(20_000)), type_info=Types.LONG()).map(lambda x: x * 2, output_type=Types.LONG())
    got = []
    for x in ds.execute_and_collect():
        got.append(x)
        if len(got) % 5_000 == 0:
            gc.collect()
    assert sorted(got) == [2 * i for i in range(20_000)]
