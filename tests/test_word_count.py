"""The reference notes' word count, in its lambda and class-based forms."""

import subprocess
import sys
from collections import Counter
from pathlib import Path

from conftest import env_with
from oxflow.common.typeinfo import Types
from oxflow.datastream import StreamExecutionEnvironment
from oxflow.datastream.functions import FlatMapFunction, ReduceFunction

ROOT = Path(__file__).resolve().parent.parent
PYFLINK_OUTPUT = "(hello,1)\n(world,1)\n(flink,1)\n(streaming,1)\n(hello,2)\n(flink,2)\n"


def word_count(env: StreamExecutionEnvironment) -> None:
    ds = env.from_collection(["hello world", "flink streaming", "hello flink"], type_info=Types.STRING())
    ds = ds.flat_map(lambda s: [(w, 1) for w in s.split()], output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
    ds.key_by(lambda x: x[0]).reduce(lambda a, b: (a[0], a[1] + b[1])).print()


def test_word_count_prints_exactly_what_pyflink_prints(capsys):
    env = env_with(1)
    word_count(env)
    env.execute("wc")
    assert capsys.readouterr().out == PYFLINK_OUTPUT


def test_example_script_prints_pyflink_output():
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "word_count.py")], capture_output=True, text=True, check=True)
    assert out.stdout == PYFLINK_OUTPUT


def test_parallel_word_count_prefixes_subtasks_and_keeps_per_key_order(capsys):
    env = env_with(4)
    word_count(env)
    env.execute("wc")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    prefixes = {line.split("> ", 1)[0] for line in lines}
    assert prefixes <= {"1", "2", "3", "4"}, lines
    bodies = [line.split("> ", 1)[1] for line in lines]
    assert Counter(bodies) == Counter(PYFLINK_OUTPUT.split())
    # The same key is always printed by the same subtask, in update order.
    by_key = {}
    for line in lines:
        prefix, body = line.split("> ", 1)
        by_key.setdefault(body.strip("()").split(",")[0], []).append((prefix, body))
    for key, updates in by_key.items():
        assert len({p for p, _ in updates}) == 1, updates
        assert [b for _, b in updates] == ["(%s,%d)" % (key, i + 1) for i in range(len(updates))]


class Splitter(FlatMapFunction):
    def flat_map(self, value):
        words = value["text"].lower().split()
        for word in words:
            yield word, 1


class Counter2(ReduceFunction):
    def reduce(self, value1, value2):
        return value1[0], value1[1] + value2[1]


def test_class_based_word_count_from_the_notes(capsys):
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    data_stream = env.from_collection([{"text": "hello world"}, {"text": "flink streaming"}, {"text": "hello flink"}])
    word_stream = data_stream.flat_map(Splitter(), Types.TUPLE([Types.STRING(), Types.INT()]))
    # The notes pass the class itself, not an instance.
    word_counts = word_stream.key_by(lambda x: x[0]).reduce(Counter2)
    word_counts.print()
    env.execute("Word Count")
    assert capsys.readouterr().out == PYFLINK_OUTPUT


def test_untyped_stream_prints_python_str(capsys):
    env = env_with(1)
    ds = env.from_collection(["a b", "b"])
    ds.flat_map(lambda s: [(w, 1) for w in s.split()]).key_by(lambda x: x[0]).reduce(lambda a, b: (a[0], a[1] + b[1])).print()
    env.execute()
    assert capsys.readouterr().out == "('a', 1)\n('b', 1)\n('b', 2)\n"
