"""Conformance with real PyFlink: programs run on PyFlink 2.3 (stored with their exact printed
output under tests/data/pyflink_reference/) run here with only their imports changed, and must
print the same lines: the same multiset, and for every key the same lines in the same order.

Every stored case runs at parallelism 1. Across keys, Flink orders timers of the same timestamp by
its internal key-group heaps (a function of Java's hashing of the key); that order is not part of
the contract we reproduce."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "pyflink_reference"
CASES = sorted((DATA / "windows").glob("*.json")) + sorted((DATA / "state").glob("*.json"))


def port(program: str) -> str:
    """The PyFlink program with its imports changed to oxflow, and nothing else."""
    return program.replace("from pyflink.", "from oxflow.").replace("import pyflink", "import oxflow")


def run(program: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "program.py"
    script.write_text(port(program))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_same_output_as_pyflink(case, tmp_path):
    reference = json.loads(case.read_text())
    result = run(reference["program"], tmp_path)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    expected = reference["output"] + reference.get("late_output", [])
    assert sorted(printed) == sorted(expected)
    if "late_output" not in reference:
        # (Main and late outputs go to two print sinks whose interleaving is not specified.)
        assert per_key(printed) == per_key(expected)


def key_of(line: str) -> str:
    """The key a line starts with: `(a,1)`, `+I[a, 1]` or `a 0 1000 ...`."""
    return line.lstrip("(+I[-U-D").replace(",", " ").split(" ")[0]


def per_key(lines):
    groups = {}
    for line in lines:
        groups.setdefault(key_of(line), []).append(line)
    return groups


def test_word_count_reference():
    for name in ("word_count_p1_tuple", "word_count_p1_untyped"):
        lines = (DATA / (name + ".txt")).read_text().splitlines()
        program = (DATA / "programs" / ("wc1.py" if name.endswith("tuple") else "wc_notype.py")).read_text()
        result = subprocess.run([sys.executable, "-c", port(program)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [l for l in lines if not l.startswith("#")]
