"""Sources and sinks: number sequence, text files, row-format file sink (real files)."""

from pathlib import Path

from conftest import collect, env_with, multiset
from oxflow.common import Types
from oxflow.common.serialization import Encoder
from oxflow.datastream.connectors.file_system import (
    BucketAssigner,
    FileSink,
    FileSource,
    OutputFileConfig,
    RollingPolicy,
    StreamFormat,
)
from oxflow.datastream.connectors.number_seq import NumberSequenceSource


def test_number_sequence_is_inclusive_and_parallel(parallelism):
    out = collect(lambda env: env.from_source(NumberSequenceSource(-5, 1000), None, "seq"), parallelism)
    assert sorted(out) == list(range(-5, 1001))


def test_from_sequence_shim(parallelism):
    assert sorted(collect(lambda env: env.from_sequence(1, 10), parallelism)) == list(range(1, 11))


def test_file_source_reads_lines_of_files_and_directories(tmp_path, parallelism):
    (tmp_path / "a.txt").write_text("hello world\nflink streaming\r\n")
    sub = tmp_path / "dir"
    sub.mkdir()
    (sub / "b.txt").write_text("hello flink")
    (sub / ".hidden").write_text("skipped")
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(tmp_path / "a.txt"), str(sub)).process_static_file_set().build()
    out = collect(lambda env: env.from_source(source, None, "files"), parallelism)
    assert multiset(out) == multiset(["hello world", "flink streaming", "hello flink"])


def test_read_text_file_shim(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("x\ny\n")
    assert sorted(collect(lambda env: env.read_text_file(str(path)), 2)) == ["x", "y"]


def committed_lines(base: Path):
    files = [p for p in base.rglob("*") if p.is_file()]
    assert all(not p.name.startswith(".") for p in files), "no in-progress file remains"
    return files, [line for p in files for line in p.read_text().splitlines()]


def test_file_sink_writes_committed_parts(tmp_path, parallelism):
    env = env_with(parallelism)
    words = ["hello world", "flink streaming", "hello flink"]
    ds = env.from_collection(words, type_info=Types.STRING())
    counts = ds.flat_map(lambda s: [(w, 1) for w in s.split()], output_type=Types.TUPLE([Types.STRING(), Types.INT()])).key_by(
        lambda x: x[0]
    ).reduce(lambda a, b: (a[0], a[1] + b[1]))
    counts.sink_to(FileSink.for_row_format(str(tmp_path), Encoder.simple_string_encoder()).build())
    env.execute("file sink")
    files, lines = committed_lines(tmp_path)
    assert multiset(lines) == multiset(["(hello,1)", "(world,1)", "(flink,1)", "(streaming,1)", "(hello,2)", "(flink,2)"])
    # Flink's default bucket is an hour directory, then part-<uid>-<subtask>-<n>.
    for f in files:
        assert f.parent.parent == tmp_path and len(f.parent.name) == len("2026-11-25--10")
        assert f.name.startswith("part-")


def test_file_sink_prefix_suffix_base_path_bucket_and_rolling(tmp_path, parallelism):
    env = env_with(parallelism)
    sink = (
        FileSink.for_row_format(str(tmp_path), Encoder.simple_string_encoder())
        .with_output_file_config(OutputFileConfig.builder().with_part_prefix("out").with_part_suffix(".txt").build())
        .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
        .with_rolling_policy(RollingPolicy.default_rolling_policy(part_size=100))
        .build()
    )
    env.from_source(NumberSequenceSource(1, 100), None, "seq").map(lambda n: "line %03d" % n, output_type=Types.STRING()).sink_to(sink)
    env.execute()
    files, _ = committed_lines(tmp_path)
    # Parts are numbered per subtask in the order they were written: out-<uid>-<subtask>-<n>.txt
    # (each subtask writes its share of the sequence in order).
    files.sort(key=lambda f: [int(x) for x in f.name[: -len(".txt")].rsplit("-", 2)[1:]])
    lines = [line for f in files for line in f.read_text().splitlines()]
    assert sorted(lines) == ["line %03d" % n for n in range(1, 101)]
    if parallelism == 1:
        assert lines == ["line %03d" % n for n in range(1, 101)]
    subtasks = {int(f.name.rsplit("-", 2)[1]) for f in files}
    assert subtasks == set(range(parallelism))
    for subtask in subtasks:
        own = [line for f in files if int(f.name.rsplit("-", 2)[1]) == subtask for line in f.read_text().splitlines()]
        assert own == sorted(own)
    assert len(files) > 5, "parts rolled by size"
    assert all(f.parent == tmp_path and f.name.startswith("out-") and f.name.endswith(".txt") for f in files)
