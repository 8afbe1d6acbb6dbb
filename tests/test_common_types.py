"""Row and RowKind semantics (oxflow.common.types)."""

import copy
import pickle

import pytest

from oxflow.common import Row, RowKind


def test_positional_row():
    row = Row(1, "a")
    assert row[0] == 1 and row[1] == "a"
    assert row[-1] == "a"
    assert row[0:1] == [1]
    assert len(row) == 2
    assert list(row) == [1, "a"]
    assert tuple(row) == (1, "a")
    assert row._fields is None
    assert repr(row) == "<Row(1, 'a')>"
    assert str(row) == "<Row(1, 'a')>"
    assert repr(Row()) == "<Row()>"
    assert 1 in row and "a" in row and 2 not in row


def test_row_is_a_sequence():
    from collections.abc import Sequence
    assert isinstance(Row(1, 2), Sequence)
    assert isinstance(Row(a=1), Sequence)
    assert not isinstance(Row(1), tuple)


def test_named_row_sorted_by_name():
    row = Row(name="Alice", age=11)
    assert row._fields == ["age", "name"]
    assert repr(row) == "Row(age=11, name='Alice')"
    assert row.name == "Alice" and row.age == 11
    assert row["name"] == "Alice" and row[0] == 11
    assert "name" in row and "Alice" not in row
    with pytest.raises(AttributeError):
        row.missing
    with pytest.raises(KeyError):
        row["missing"]
    with pytest.raises(ValueError):
        Row(1, a=2)


def test_field_name_factory():
    person = Row("name", "age")
    alice = person("Alice", 11)
    assert repr(alice) == "Row(name='Alice', age=11)"
    assert alice._fields == ["name", "age"]
    assert alice.name == "Alice" and alice["age"] == 11
    assert "name" in alice
    with pytest.raises(ValueError):
        person(1, 2, 3)


def test_as_dict():
    row = Row(key=1, value=Row(name="a", age=2))
    assert row.as_dict() == {"key": 1, "value": Row(age=2, name="a")}
    assert row.as_dict(True) == {"key": 1, "value": {"name": "a", "age": 2}}
    nested = Row(items=[Row(x=1)], m={"k": Row(y=2)})
    assert nested.as_dict(recursive=True) == {"items": [{"x": 1}], "m": {"k": {"y": 2}}}
    with pytest.raises(TypeError):
        Row(1, 2).as_dict()


def test_row_kind():
    assert [k.short_string() for k in RowKind] == ["+I", "-U", "+U", "-D"]
    assert [k.to_byte_value() for k in RowKind] == [0, 1, 2, 3]
    assert RowKind.from_byte_value(3) is RowKind.DELETE
    assert RowKind.from_short_string("+U") is RowKind.UPDATE_AFTER
    row = Row(1)
    assert row.get_row_kind() is RowKind.INSERT
    row.set_row_kind(RowKind.UPDATE_BEFORE)
    assert row.get_row_kind() is RowKind.UPDATE_BEFORE
    assert row._is_retract_msg() and not row._is_accumulate_msg()
    deleted = Row.of_kind(RowKind.DELETE, 1, "a")
    assert deleted.get_row_kind() is RowKind.DELETE and list(deleted) == [1, "a"]
    with pytest.raises(TypeError):
        row.set_row_kind("+I")


def test_set_field_names_and_get_fields_by_names():
    row = Row(1, "x", True)
    row.set_field_names(["id", "name", "flag"])
    assert repr(row) == "Row(id=1, name='x', flag=True)"
    assert row.name == "x"
    assert row.get_fields_by_names(["flag", "id"]) == [True, 1]


def test_setitem_and_attribute_protection():
    row = Row(a=1, b=2)
    row["b"] = 20
    row[0] = 10
    assert list(row) == [10, 20]
    with pytest.raises(KeyError):
        row["c"] = 3
    with pytest.raises(AttributeError):
        row.a = 5


def test_equality_and_hash():
    assert Row(1, "a") == Row(1, "a")
    assert Row(1, "a") != Row(1, "b")
    assert Row(1, "a") != (1, "a")
    assert Row(a=1) == Row(a=1)
    assert Row(a=1) != Row(1)  # names differ
    assert Row("a")(1) == Row(a=1)
    assert Row(1) != Row.of_kind(RowKind.DELETE, 1)  # kinds differ
    assert hash(Row(1, "a")) == hash((1, "a"))
    assert len({Row(1, "a"), Row(1, "a")}) == 1


def test_pickle_and_copy_keep_names_and_kind():
    row = Row(name="x", age=3)
    row.set_row_kind(RowKind.UPDATE_AFTER)
    for clone in (pickle.loads(pickle.dumps(row)), copy.copy(row), copy.deepcopy(row)):
        assert clone == row
        assert clone._fields == ["age", "name"]
        assert clone.get_row_kind() is RowKind.UPDATE_AFTER
        assert clone.name == "x"
    nested = Row(1, [Row(2)])
    deep = copy.deepcopy(nested)
    assert deep == nested and deep[1] is not nested[1]
