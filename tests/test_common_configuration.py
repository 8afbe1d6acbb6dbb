"""Configuration (oxflow.common.configuration)."""

import copy

import pytest

from oxflow.common import Configuration


def test_string_round_trip_and_defaults():
    conf = Configuration()
    conf.set_string("a.b", "x")
    assert conf.get_string("a.b", None) == "x"
    assert conf.get_string("missing", "dflt") == "dflt"
    assert conf.contains_key("a.b") and not conf.contains_key("missing")


def test_typed_round_trips_are_stored_as_strings():
    conf = Configuration()
    conf.set_integer("i", 42).set_boolean("b", True).set_float("f", 1.5)
    assert conf.get_integer("i", 0) == 42
    assert conf.get_boolean("b", False) is True
    assert conf.get_float("f", 0.0) == 1.5
    assert conf.to_dict() == {"i": "42", "b": "true", "f": "1.5"}
    assert conf.get_integer("missing", 7) == 7
    assert conf.get_boolean("missing", True) is True
    assert conf.get_float("missing", 2.5) == 2.5


def test_parsing_from_strings():
    conf = Configuration.from_dict({"p": "4", "flag": "TRUE", "off": "false", "x": "abc"})
    assert conf.get_integer("p", 1) == 4
    assert conf.get_boolean("flag", False) is True
    assert conf.get_boolean("off", True) is False
    with pytest.raises(ValueError):
        conf.get_boolean("x", False)
    with pytest.raises(ValueError):
        conf.get_integer("x", 0)


def test_bytearray_round_trip():
    conf = Configuration()
    conf.set_bytearray("bytes", bytearray(b"\x00\x01\xff"))
    assert conf.get_bytearray("bytes") == bytearray(b"\x00\x01\xff")
    assert conf.get_bytearray("missing", bytearray(b"d")) == bytearray(b"d")


def test_keys_add_all_and_removal():
    conf = Configuration.from_dict({"a": "1", "b": "2"})
    assert conf.key_set() == {"a", "b"}
    other = Configuration()
    other.add_all(conf)
    assert other == conf
    prefixed = Configuration()
    prefixed.add_all(conf, "pre.")
    assert prefixed.to_dict() == {"pre.a": "1", "pre.b": "2"}
    target = {"z": "9"}
    conf.add_all_to_dict(target)
    assert target == {"z": "9", "a": "1", "b": "2"}
    assert conf.remove_key("a") is True
    assert conf.remove_key("a") is False
    assert conf.remove_config("b") is True
    assert conf.key_set() == set()


def test_copies_and_equality():
    conf = Configuration.from_dict({"k": "v"})
    clone = Configuration(conf)
    deep = copy.deepcopy(conf)
    assert clone == conf and deep == conf
    clone.set_string("k", "w")
    deep.set_string("n", "1")
    assert conf.get_string("k", None) == "v" and not conf.contains_key("n")
    assert conf != Configuration()
    assert conf != {"k": "v"}
    assert repr(conf) == "Configuration({'k': 'v'})"
    assert str(conf) == "{k=v}"
    with pytest.raises(TypeError):
        Configuration({"k": "v"})


def test_from_dict_formats_non_string_values():
    conf = Configuration.from_dict({"n": 3, "b": False})
    assert conf.to_dict() == {"n": "3", "b": "false"}
