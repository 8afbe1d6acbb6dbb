"""Serialization schemas, encoders, JobID, JobStatus, JobExecutionResult; import isolation."""

import ast
import os
import sys

import pytest

from oxflow.common import (ByteArraySchema, Encoder, JobExecutionResult, JobID, JobStatus,
                           SimpleStringSchema)
from oxflow.common.serialization import (DeserializationSchema, RowFieldExtractorSchema,
                                         SerializationSchema)
from oxflow.common import Row


def test_simple_string_encoder():
    enc = Encoder.simple_string_encoder()
    assert enc.charset == "UTF-8"
    assert Encoder.simple_string_encoder("ISO-8859-1").charset == "ISO-8859-1"
    assert enc.encode("héllo") == "héllo\n".encode("utf-8")
    with pytest.raises(ValueError):
        Encoder.simple_string_encoder("no-such-charset")


def test_schemas():
    s = SimpleStringSchema()
    assert isinstance(s, SerializationSchema) and isinstance(s, DeserializationSchema)
    assert s.charset == "UTF-8"
    assert s.deserialize(s.serialize("ünï")) == "ünï"
    assert SimpleStringSchema("latin-1").serialize("é") == b"\xe9"
    b = ByteArraySchema()
    assert b.serialize(b"\x00\x01") == b"\x00\x01" and b.deserialize(bytearray(b"x")) == b"x"
    assert RowFieldExtractorSchema(1).serialize(Row(1, b"payload")) == b"payload"
    with pytest.raises(NotImplementedError):
        SerializationSchema().serialize(1)


def test_job_id():
    j = JobID()
    assert len(j.to_hex_string()) == 32
    assert JobID(j.to_hex_string()) == j
    assert str(j) == j.to_hex_string()
    assert JobID() != JobID()
    fixed = JobID.from_hex_string("0123456789abcdef0123456789ABCDEF")
    assert fixed.to_hex_string() == "0123456789abcdef0123456789abcdef"
    with pytest.raises(ValueError):
        JobID("xyz")


def test_job_status():
    assert [s.name for s in JobStatus] == [
        "INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING", "CANCELED",
        "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING"]
    globally = {s for s in JobStatus if s.is_globally_terminal_state()}
    terminal = {s for s in JobStatus if s.is_terminal_state()}
    assert globally == {JobStatus.FAILED, JobStatus.CANCELED, JobStatus.FINISHED}
    assert terminal == globally | {JobStatus.SUSPENDED}


def test_job_execution_result():
    jid = JobID()
    r = JobExecutionResult(jid, 1234, {"count": 5})
    assert r.get_job_id() == jid
    assert r.get_net_runtime() == 1234
    assert r.get_accumulator_result("count") == 5
    assert r.get_accumulator_result("missing") is None
    assert r.get_all_accumulator_results() == {"count": 5}
    assert r.is_job_execution_result() is True
    assert r.get_job_execution_result() is r
    assert JobExecutionResult(jid.to_hex_string(), 0, {}).get_job_id() == jid


def test_common_imports_nothing_native():
    """oxflow.common is pure Python: no import of the native module, datastream or table."""
    import oxflow.common as common
    folder = os.path.dirname(common.__file__)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            tree = ast.parse(f.read(), name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [("." * node.level) + (node.module or "")]
            else:
                continue
            for m in modules:
                parts = m.lstrip(".").split(".")
                assert not m.startswith(".."), (name, m)
                assert not any(bad in parts for bad in ("_native", "datastream", "table")), (name, m)
                assert m.startswith(".") or m.split(".")[0] in sys.stdlib_module_names, (name, m)


def test_lazy_names_absent_until_written():
    import oxflow.common as common
    with pytest.raises(AttributeError):
        common.NoSuchName
    assert "Types" in common.__all__ and "Row" in common.__all__
