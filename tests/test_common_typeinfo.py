"""Types / TypeInformation: structure, check specs and Java toString rendering."""

import datetime
import decimal
import pickle

import pytest

from oxflow.common import Instant, Row, RowKind, RowTypeInfo, TypeInformation
from oxflow.common.typeinfo import (BasicArrayTypeInfo, BasicType, BasicTypeInfo, ListTypeInfo,
                                    MapTypeInfo, ObjectArrayTypeInfo, PickledBytesTypeInfo,
                                    PrimitiveArrayTypeInfo, SqlTimeTypeInfo, TupleTypeInfo, Types)

INT_RANGES = {"int": 2 ** 31, "long": 2 ** 63, "short": 2 ** 15, "byte": 2 ** 7}


def accepts(spec, value):
    """Reference reading of the ``_check_spec`` contract (what the runtime implements)."""
    if value is None:
        return True
    kind = spec[0]
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind in INT_RANGES:
        return is_int and -INT_RANGES[kind] <= value < INT_RANGES[kind]
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("float", "double"):
        return is_int or isinstance(value, float)
    if kind == "char":
        return isinstance(value, str) and len(value) == 1
    if kind == "big_int":
        return is_int
    if kind == "big_dec":
        return is_int or isinstance(value, decimal.Decimal)
    if kind in ("tuple", "row"):
        ok_type = (tuple, list, Row) if kind == "row" else (tuple, list)
        return (isinstance(value, ok_type) and len(value) == len(spec[1])
                and all(accepts(s, v) for s, v in zip(spec[1], value)))
    if kind == "list":
        return isinstance(value, (list, tuple)) and all(accepts(spec[1], v) for v in value)
    if kind == "map":
        return isinstance(value, dict) and all(
            accepts(spec[1], k) and accepts(spec[2], v) for k, v in value.items())
    raise AssertionError("unknown spec kind %r" % (kind,))


# ------------------------------------------------------------------------------------------
# check specs
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("factory, spec", [
    (Types.STRING, ("string",)),
    (Types.INT, ("int",)),
    (Types.LONG, ("long",)),
    (Types.SHORT, ("short",)),
    (Types.BYTE, ("byte",)),
    (Types.BOOLEAN, ("boolean",)),
    (Types.FLOAT, ("float",)),
    (Types.DOUBLE, ("double",)),
    (Types.CHAR, ("char",)),
    (Types.BIG_INT, ("big_int",)),
    (Types.BIG_DEC, ("big_dec",)),
    (Types.INSTANT, ("any",)),
    (Types.SQL_DATE, ("any",)),
    (Types.SQL_TIME, ("any",)),
    (Types.SQL_TIMESTAMP, ("any",)),
    (Types.PICKLED_BYTE_ARRAY, ("any",)),
])
def test_scalar_check_specs(factory, spec):
    assert factory()._check_spec() == spec


def test_composite_check_specs():
    assert Types.TUPLE([Types.STRING(), Types.INT()])._check_spec() == \
        ("tuple", [("string",), ("int",)])
    assert Types.ROW([Types.LONG(), Types.TUPLE([Types.BOOLEAN()])])._check_spec() == \
        ("row", [("long",), ("tuple", [("boolean",)])], ["f0", "f1"])
    assert Types.ROW_NAMED(["a"], [Types.DOUBLE()])._check_spec() == ("row", [("double",)], ["a"])
    assert Types.LIST(Types.STRING())._check_spec() == ("list", ("string",))
    assert Types.MAP(Types.STRING(), Types.LIST(Types.INT()))._check_spec() == \
        ("map", ("string",), ("list", ("int",)))
    assert Types.PRIMITIVE_ARRAY(Types.INT())._check_spec() == ("list", ("int",))
    assert Types.PRIMITIVE_ARRAY(Types.BYTE())._check_spec() == ("any",)  # Python bytes
    assert Types.BASIC_ARRAY(Types.STRING())._check_spec() == ("list", ("string",))
    assert Types.OBJECT_ARRAY(Types.ROW([Types.INT()]))._check_spec() == \
        ("list", ("row", [("int",)], ["f0"]))


def test_check_specs_are_plain_data():
    spec = Types.ROW([Types.MAP(Types.STRING(), Types.LIST(Types.INT())), Types.CHAR()])._check_spec()

    def plain(x):
        if isinstance(x, (tuple, list)):
            return all(plain(i) for i in x)
        return isinstance(x, str)
    assert plain(spec)
    assert pickle.loads(pickle.dumps(spec)) == spec


@pytest.mark.parametrize("t, good, bad", [
    (Types.INT(), [0, -2 ** 31, 2 ** 31 - 1, None], [2 ** 31, True, 1.0, "1"]),
    (Types.LONG(), [2 ** 63 - 1, -2 ** 63], [2 ** 63]),
    (Types.SHORT(), [32767], [32768]),
    (Types.BYTE(), [-128, 127], [128]),
    (Types.BOOLEAN(), [True, False], [1, "true"]),
    (Types.DOUBLE(), [1, 1.5], [True, "1.5"]),
    (Types.CHAR(), ["a"], ["ab", ""]),
    (Types.BIG_DEC(), [decimal.Decimal("1.5"), 3], [1.5]),
    (Types.TUPLE([Types.STRING(), Types.INT()]), [("a", 1), ["a", None]], [("a",), ("a", "b"), "ab"]),
    (Types.ROW([Types.STRING(), Types.INT()]), [Row("a", 1), ("a", 1)], [Row("a"), Row(1, "a")]),
    (Types.MAP(Types.STRING(), Types.INT()), [{"a": 1}, {}], [{"a": "b"}, [("a", 1)]]),
    (Types.LIST(Types.INT()), [[1, 2], []], [[1, "x"], 5]),
])
def test_check_spec_semantics(t, good, bad):
    for v in good:
        assert accepts(t._check_spec(), v), v
    for v in bad:
        assert not accepts(t._check_spec(), v), v


def test_every_type_implements_the_internal_contract():
    everything = [getattr(Types, n)() for n in (
        "STRING", "INT", "LONG", "SHORT", "BYTE", "BOOLEAN", "FLOAT", "DOUBLE", "CHAR", "BIG_INT",
        "BIG_DEC", "INSTANT", "SQL_DATE", "SQL_TIME", "SQL_TIMESTAMP", "PICKLED_BYTE_ARRAY")]
    everything += [Types.TUPLE([Types.INT()]), Types.ROW([Types.INT()]),
                   Types.MAP(Types.INT(), Types.INT()), Types.LIST(Types.INT()),
                   Types.PRIMITIVE_ARRAY(Types.INT()), Types.BASIC_ARRAY(Types.INT()),
                   Types.OBJECT_ARRAY(Types.INT())]
    for t in everything:
        assert isinstance(t, TypeInformation)
        assert isinstance(t._check_spec(), tuple)
        assert t._java_str(None) == "null"


# ------------------------------------------------------------------------------------------
# Java rendering
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("t, value, expected", [
    (Types.STRING(), "hello", "hello"),
    (Types.STRING(), "", ""),
    (Types.INT(), 42, "42"),
    (Types.LONG(), -9223372036854775808, "-9223372036854775808"),
    (Types.SHORT(), 7, "7"),
    (Types.BYTE(), -1, "-1"),
    (Types.BIG_INT(), 10 ** 30, "1000000000000000000000000000000"),
    (Types.BOOLEAN(), True, "true"),
    (Types.BOOLEAN(), False, "false"),
    (Types.CHAR(), "x", "x"),
    (Types.BIG_DEC(), decimal.Decimal("11.10"), "11.10"),
    (Types.BIG_DEC(), decimal.Decimal("0.000"), "0.000"),
    (Types.BIG_DEC(), 5, "5"),
    (Types.PICKLED_BYTE_ARRAY(), ("a", 1), "('a', 1)"),
    (Types.PICKLED_BYTE_ARRAY(), Row(1, "a"), "<Row(1, 'a')>"),
])
def test_scalar_rendering(t, value, expected):
    assert t._java_str(value) == expected


@pytest.mark.parametrize("value, expected", [
    (4.333333333, "4.3333335"),
    (1.0, "1.0"),
    (1, "1.0"),
    (1e-5, "1.0E-5"),
    (1e7, "1.0E7"),
    (123456.0, "123456.0"),
    (9999999.0, "9999999.0"),
    (0.001, "0.001"),
    (0.1, "0.1"),
    (-2.5, "-2.5"),
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (3.4e38, "3.4E38"),
    (1e39, "Infinity"),
    (float("nan"), "NaN"),
    (float("inf"), "Infinity"),
    (float("-inf"), "-Infinity"),
    (1.1, "1.1"),
    (100.5, "100.5"),
    (1.4e-45, "1.4E-45"),
    (3.4028235e38, "3.4028235E38"),
    (16777217.0, "1.6777216E7"),
])
def test_float_rendering_is_java_float_to_string(value, expected):
    assert Types.FLOAT()._java_str(value) == expected


@pytest.mark.parametrize("value, expected", [
    (4.333333333, "4.333333333"),
    (1.0, "1.0"),
    (2, "2.0"),
    (1e-5, "1.0E-5"),
    (1e7, "1.0E7"),
    (1.0e-3, "0.001"),
    (9.99e-4, "9.99E-4"),
    (1234567.125, "1234567.125"),
    (12345678.9, "1.23456789E7"),
    (0.1 + 0.2, "0.30000000000000004"),
    (-1e100, "-1.0E100"),
    (5e-324, "4.9E-324"),
    (1.7976931348623157e308, "1.7976931348623157E308"),
    (2.0 ** 63, "9.223372036854776E18"),
    (float("nan"), "NaN"),
    (float("-inf"), "-Infinity"),
])
def test_double_rendering_is_java_double_to_string(value, expected):
    assert Types.DOUBLE()._java_str(value) == expected


def test_tuple_rendering_has_no_spaces():
    t = Types.TUPLE([Types.STRING(), Types.INT()])
    assert t._java_str(("hello", 1)) == "(hello,1)"
    assert t._java_str(["hello", None]) == "(hello,null)"
    nested = Types.TUPLE([Types.STRING(), Types.TUPLE([Types.INT(), Types.FLOAT()])])
    assert nested._java_str(("a", (1, 4.333333333))) == "(a,(1,4.3333335))"


def test_row_rendering():
    t = Types.ROW([Types.STRING(), Types.INT()])
    assert t._java_str(Row("a", 1)) == "+I[a, 1]"
    assert t._java_str(("a", 1)) == "+I[a, 1]"
    assert t._java_str(["a", None]) == "+I[a, null]"
    for kind, short in [(RowKind.UPDATE_BEFORE, "-U"), (RowKind.UPDATE_AFTER, "+U"),
                        (RowKind.DELETE, "-D")]:
        assert t._java_str(Row.of_kind(kind, "a", 1)) == short + "[a, 1]"
    nested = Types.ROW([Types.STRING(), Types.ROW([Types.INT(), Types.LONG()])])
    assert nested._java_str(Row("x", Row(5, 2))) == "+I[x, +I[5, 2]]"
    assert nested._java_str(Row("x", None)) == "+I[x, null]"


def test_named_row_rendering_matches_fields_by_name():
    t = Types.ROW_NAMED(["name", "age"], [Types.STRING(), Types.INT()])
    # keyword rows are sorted by name (age, name) but map onto the declared fields by name
    assert t._java_str(Row(name="Alice", age=11)) == "+I[Alice, 11]"
    assert t._java_str(Row("Bob", 3)) == "+I[Bob, 3]"
    assert t._java_str(Row("age", "name")(4, "Eve")) == "+I[Eve, 4]"
    assert t._java_str(Row("x", "y")("Zed", 5)) == "+I[Zed, 5]"  # other names: by position


def test_collection_rendering():
    assert Types.LIST(Types.STRING())._java_str(["a", "b"]) == "[a, b]"
    assert Types.LIST(Types.INT())._java_str([]) == "[]"
    assert Types.PRIMITIVE_ARRAY(Types.DOUBLE())._java_str([1.1, 2]) == "[1.1, 2.0]"
    assert Types.BASIC_ARRAY(Types.FLOAT())._java_str([1.1, None]) == "[1.1, null]"
    assert Types.OBJECT_ARRAY(Types.TUPLE([Types.INT()]))._java_str([(1,), (2,)]) == "[(1), (2)]"
    assert Types.PRIMITIVE_ARRAY(Types.BYTE())._java_str(b"\x01\xff") == "[1, -1]"
    m = Types.MAP(Types.STRING(), Types.DOUBLE())
    assert m._java_str({"k": 1.0, "k2": None}) == "{k=1.0, k2=null}"
    assert m._java_str({}) == "{}"
    rows = Types.ROW([Types.LIST(Types.DOUBLE()), Types.MAP(Types.STRING(), Types.INT())])
    assert rows._java_str(Row([1.1, None], {"a": 1})) == "+I[[1.1, null], {a=1}]"


def test_temporal_rendering():
    d = datetime.date(2020, 10, 10)
    assert Types.SQL_DATE()._java_str(d) == "2020-10-10"
    assert Types.SQL_TIME()._java_str(datetime.time(10, 20, 30, 5000)) == "10:20:30"
    # java.sql.Timestamp.toString
    assert Types.SQL_TIMESTAMP()._java_str(datetime.datetime(2020, 10, 10)) == \
        "2020-10-10 00:00:00.0"
    assert Types.SQL_TIMESTAMP()._java_str(datetime.datetime(2020, 10, 10, 0, 0, 4, 999000)) == \
        "2020-10-10 00:00:04.999"
    # java.time.LocalDateTime.toString (SQL TIMESTAMP columns)
    ldt = Types.LOCAL_DATE_TIME()
    assert ldt._java_str(datetime.datetime(2020, 10, 10)) == "2020-10-10T00:00"
    assert ldt._java_str(datetime.datetime(2020, 10, 10, 0, 0, 4, 999000)) == \
        "2020-10-10T00:00:04.999"
    assert ldt._java_str(datetime.datetime(2020, 10, 10, 0, 0, 5)) == "2020-10-10T00:00:05"
    assert ldt._java_str(datetime.datetime(2020, 10, 10, 1, 2, 3, 4)) == \
        "2020-10-10T01:02:03.000004"
    assert Types.LOCAL_DATE()._java_str(d) == "2020-10-10"
    assert Types.LOCAL_TIME()._java_str(datetime.time(12, 0)) == "12:00"
    # java.time.Instant.toString
    inst = Types.INSTANT()
    assert inst._java_str(Instant.of_epoch_milli(0)) == "1970-01-01T00:00:00Z"
    assert inst._java_str(Instant.of_epoch_milli(1602288004999)) == "2020-10-10T00:00:04.999Z"
    assert inst._java_str(Instant(1, 5)) == "1970-01-01T00:00:01.000000005Z"
    utc = datetime.timezone.utc
    assert inst._java_str(datetime.datetime(2020, 10, 10, tzinfo=utc)) == "2020-10-10T00:00:00Z"
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    assert inst._java_str(datetime.datetime(2020, 10, 10, 2, tzinfo=plus2)) == \
        "2020-10-10T00:00:00Z"


# ------------------------------------------------------------------------------------------
# structure, equality, repr
# ------------------------------------------------------------------------------------------

def test_row_type_info_accessors():
    t = Types.ROW_NAMED(["a", "b"], [Types.STRING(), Types.INT()])
    assert isinstance(t, RowTypeInfo)
    assert t.get_field_names() == ["a", "b"]
    assert t.get_field_index("b") == 1
    assert t.get_field_index("zz") == -1
    assert t.get_field_types() == [Types.STRING(), Types.INT()]
    assert t.get_field_type(1) == Types.INT()
    assert t.get_field_type("a") == Types.STRING()
    assert t.get_arity() == 2
    assert Types.ROW([Types.INT(), Types.INT()]).get_field_names() == ["f0", "f1"]
    with pytest.raises(ValueError):
        Types.ROW_NAMED(["a"], [Types.INT(), Types.INT()])
    with pytest.raises(TypeError):
        Types.ROW([int])


def test_type_classes_and_equality():
    assert isinstance(Types.INT(), BasicTypeInfo)
    assert Types.INT().get_basic_type() is BasicType.INT
    assert isinstance(Types.TUPLE([Types.INT()]), TupleTypeInfo)
    assert isinstance(Types.LIST(Types.INT()), ListTypeInfo)
    assert isinstance(Types.MAP(Types.INT(), Types.INT()), MapTypeInfo)
    assert isinstance(Types.PRIMITIVE_ARRAY(Types.INT()), PrimitiveArrayTypeInfo)
    assert isinstance(Types.BASIC_ARRAY(Types.INT()), BasicArrayTypeInfo)
    assert isinstance(Types.OBJECT_ARRAY(Types.INT()), ObjectArrayTypeInfo)
    assert isinstance(Types.PICKLED_BYTE_ARRAY(), PickledBytesTypeInfo)
    assert isinstance(Types.SQL_DATE(), SqlTimeTypeInfo)
    assert Types.INT() == Types.INT()
    assert Types.INT() != Types.LONG()
    assert hash(Types.STRING()) == hash(Types.STRING())
    assert Types.ROW([Types.INT()]) == Types.ROW([Types.INT()])
    assert Types.ROW([Types.INT()]) != Types.ROW_NAMED(["x"], [Types.INT()])
    assert Types.TUPLE([Types.INT()]) != Types.ROW([Types.INT()])
    assert Types.MAP(Types.INT(), Types.STRING()) != Types.MAP(Types.STRING(), Types.INT())
    assert len({Types.LIST(Types.INT()), Types.LIST(Types.INT())}) == 1
    with pytest.raises(TypeError):
        Types.PRIMITIVE_ARRAY(Types.STRING())


def test_reprs():
    assert repr(Types.INT()) == "Integer"
    assert repr(Types.STRING()) == "String"
    assert repr(Types.ROW_NAMED(["a", "b"], [Types.STRING(), Types.INT()])) == \
        "RowTypeInfo(a: String, b: Integer)"
    assert repr(Types.TUPLE([Types.STRING(), Types.LONG()])) == "TupleTypeInfo(String, Long)"
    assert str(Types.MAP(Types.STRING(), Types.INT())) == "MapTypeInfo<String, Integer>"


def test_type_infos_pickle():
    t = Types.ROW_NAMED(["a", "b"], [Types.MAP(Types.STRING(), Types.INT()), Types.INSTANT()])
    assert pickle.loads(pickle.dumps(t)) == t
