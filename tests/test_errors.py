"""Bad input: clear errors naming the operator and the value; user exceptions keep their traceback."""

import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import pytest

from conftest import env_with
from oxflow.common import Types
from oxflow.datastream import MapFunction, ReduceFunction
from oxflow.datastream.connectors.file_system import FileSource, StreamFormat

ROOT = Path(__file__).resolve().parent.parent


def explode(value):
    if value == 3:
        return 1 / 0
    return value


@pytest.mark.parametrize("parallelism", [1, 4])
def test_user_exception_is_reraised_with_traceback_and_operator(parallelism):
    env = env_with(parallelism)
    env.from_collection([1, 2, 3, 4]).map(explode).name("Exploder").print()
    with pytest.raises(ZeroDivisionError) as info:
        env.execute("failing job")
    frames = traceback.extract_tb(info.value.__traceback__)
    assert any(f.name == "explode" and f.line == "return 1 / 0" for f in frames), frames
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "operator 'Exploder'" in notes and "failing job" in notes, notes
    assert "int 3" in notes, notes


def test_exception_in_a_generator_flat_map():
    def gen(value):
        yield value
        raise ValueError("bad line %r" % value)

    env = env_with(1)
    env.from_collection(["x"]).flat_map(gen).print()
    with pytest.raises(ValueError, match="bad line 'x'"):
        env.execute()


def test_exception_in_open_names_the_operator():
    class BadOpen(MapFunction):
        def open(self, ctx):
            raise KeyError("missing config")

        def map(self, value):
            return value

    env = env_with(2)
    env.from_collection([1]).map(BadOpen()).print()
    with pytest.raises(KeyError) as info:
        env.execute()
    assert "operator 'Map'" in "\n".join(info.value.__notes__)


@pytest.mark.parametrize("bad", [5, "text", None])
def test_non_callable_function_rejected_at_definition(bad):
    env = env_with(1)
    with pytest.raises(TypeError, match="operator 'Map' expects a callable or a MapFunction"):
        env.from_collection([1]).map(bad)


def test_wrong_arity_rejected_at_definition():
    env = env_with(1)
    ds = env.from_collection([1])
    with pytest.raises(TypeError, match="operator 'Map'.*must take 1 argument"):
        ds.map(lambda a, b: a)
    with pytest.raises(TypeError, match="operator 'Keyed Reduce'.*must take 2 argument"):
        ds.key_by(lambda x: x).reduce(lambda a: a)
    with pytest.raises(TypeError, match="operator 'Key By'.*must take 1 argument"):
        ds.key_by(lambda: 1)

    class BadReduce(ReduceFunction):
        def reduce(self, a):
            return a

    with pytest.raises(TypeError, match="BadReduce.reduce must take 2 argument"):
        ds.key_by(lambda x: x).reduce(BadReduce())


def test_unhashable_key_names_operator_and_value():
    env = env_with(1)
    env.from_collection([[1, 2]]).key_by(lambda x: x).reduce(lambda a, b: a).print()
    with pytest.raises(TypeError, match=r"key selector of operator 'Key By' returned an unhashable key list \[1, 2\]"):
        env.execute()


def test_flat_map_returning_a_non_iterable():
    env = env_with(1)
    env.from_collection([7]).flat_map(lambda x: x * 2).name("Doubler").print()
    with pytest.raises(TypeError, match=r"operator 'Doubler' must return an iterable.*got int 14 for element int 7"):
        env.execute()


def test_output_not_matching_the_declared_type():
    env = env_with(1)
    out_type = Types.TUPLE([Types.STRING(), Types.INT()])
    env.from_collection(["a"]).flat_map(lambda s: [(s, 1.5)], output_type=out_type).print()
    with pytest.raises(TypeError, match=r"operator 'Flat Map' produced tuple \('a', 1.5\) which does not match its declared output type.*field 1: expected INT"):
        env.execute()
    env.from_collection([2**40]).map(lambda x: x, output_type=Types.INT()).print()
    with pytest.raises(TypeError, match=r"expected INT \(an int in \[-2147483648, 2147483647\]\), got int 1099511627776"):
        env.execute()


def test_collection_not_matching_type_info():
    env = env_with(1)
    with pytest.raises(TypeError, match=r"from_collection: element 1 \(2\) does not match type_info"):
        env.from_collection(["a", 2], type_info=Types.STRING())


def test_missing_input_file_named_before_the_job_starts(tmp_path):
    env = env_with(1)
    missing = tmp_path / "nope.txt"
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(missing)).build()
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        env.from_source(source, None, "files")


@pytest.mark.parametrize("parallelism", [1, 2], ids=["inline", "threaded"])
def test_ctrl_c_cancels_a_running_job_cleanly(parallelism):
    script = (
        "import sys\n"
        "from oxflow.datastream import StreamExecutionEnvironment\n"
        "from oxflow.datastream.connectors.number_seq import NumberSequenceSource\n"
        "env = StreamExecutionEnvironment.get_execution_environment()\n"
        f"env.set_parallelism({parallelism})\n"
        "env.from_source(NumberSequenceSource(1, 10**15), None, 'endless').map(lambda x: x).filter(lambda x: False).print()\n"
        "print('started', flush=True)\n"
        "try:\n"
        "    env.execute('endless')\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n"
        "    sys.exit(3)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert out.strip() == "interrupted"


_ENDLESS_COLLECT = (
    "import sys, time\n"
    "from oxflow.datastream import StreamExecutionEnvironment\n"
    "from oxflow.datastream.connectors.number_seq import NumberSequenceSource\n"
    "mode, parallelism = sys.argv[1], int(sys.argv[2])\n"
    "seen = [0]\n"
    "def count(x):\n"
    "    seen[0] += 1\n"
    "    return x\n"
    "def stopped():\n"
    "    # The map counts what the job reads (only the first element reaches the iterator, so\n"
    "    # backpressure never stops it): a cancelled job counts no more.\n"
    "    time.sleep(0.3)\n"
    "    before = seen[0]\n"
    "    time.sleep(0.5)\n"
    "    return seen[0] == before\n"
    "env = StreamExecutionEnvironment.get_execution_environment()\n"
    "env.set_parallelism(parallelism)\n"
    "it = env.from_source(NumberSequenceSource(1, 10**15), None, 'endless').map(count).filter(lambda x: x == 1).execute_and_collect()\n"
    "if mode == 'interrupt':\n"
    "    print('started', flush=True)\n"
    "    try:\n"
    "        for x in it:\n"
    "            pass\n"
    "    except KeyboardInterrupt:\n"
    "        print('interrupted', stopped(), flush=True)\n"
    "        sys.exit(3)\n"
    "next(it)\n"
    "if mode == 'close':\n"
    "    it.close()\n"
    "else:\n"
    "    del it\n"
    "print(mode, stopped(), flush=True)\n"
)


@pytest.mark.parametrize("parallelism", [1, 4], ids=["inline", "threaded"])
def test_ctrl_c_while_iterating_collected_results_cancels_the_job(parallelism):
    proc = subprocess.Popen(
        [sys.executable, "-c", _ENDLESS_COLLECT, "interrupt", str(parallelism)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert out.strip() == "interrupted True"


@pytest.mark.parametrize("mode", ["close", "drop"])
@pytest.mark.parametrize("parallelism", [1, 4], ids=["inline", "threaded"])
def test_closing_or_dropping_the_result_iterator_cancels_the_job(mode, parallelism):
    proc = subprocess.run([sys.executable, "-c", _ENDLESS_COLLECT, mode, str(parallelism)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == mode + " True"


def test_keyword_rows_match_named_row_types_by_name(capsys):
    from oxflow.common import Row

    env = env_with(1)
    row_type = Types.ROW_NAMED(["name", "age"], [Types.STRING(), Types.INT()])
    env.from_collection([1]).map(lambda _: Row(name="x", age=3), output_type=row_type).print()
    env.execute()
    assert capsys.readouterr().out == "+I[x, 3]\n"
    env.from_collection([1]).map(lambda _: Row(name="x", age="old"), output_type=row_type).print()
    with pytest.raises(TypeError, match="field 'age': expected INT"):
        env.execute()
