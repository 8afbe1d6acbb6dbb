"""``Configuration``: a string-to-string map of options, mirroring ``pyflink.common.Configuration``.

Like Flink's ``Configuration``, every value is stored as a string; typed getters parse it.
"""

import base64
import copy
import re
from typing import Any, Dict, Optional, Set

__all__ = ["Configuration"]

_MISSING = object()


def _key_of(key_or_option: Any) -> str:
    """The key of a plain string, or of a ``ConfigOption``-like object (``.key()`` / ``.key``)."""
    if isinstance(key_or_option, str):
        return key_or_option
    key = getattr(key_or_option, "key", None)
    if callable(key):
        key = key()
    if isinstance(key, str):
        return key
    raise TypeError("expected a string key or a ConfigOption, got %r" % (key_or_option,))


def _format_value(value: Any) -> str:
    """Formats a value the way Flink stores it in a Configuration."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (list, tuple)):
        return ";".join(_format_value(v) for v in value)
    if isinstance(value, dict):
        return ",".join("%s:%s" % (k, _format_value(v)) for k, v in value.items())
    return str(value)


def _parse_bool(key: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError("Could not parse value '%s' for key '%s' as a boolean" % (text, key))


class Configuration(object):
    """A mutable map of configuration options (keys and values are strings).

    ``Configuration(other)`` copies ``other``. Typed setters store the string form of their
    value, typed getters parse it and return ``default_value`` when the key is absent.
    """

    def __init__(self, other: Optional["Configuration"] = None):
        self._data = {}  # type: Dict[str, str]
        if other is not None:
            if not isinstance(other, Configuration):
                raise TypeError("other must be a Configuration, got %r" % (other,))
            self._data.update(other._data)

    @classmethod
    def from_dict(cls, config_dict: Dict[str, Any]) -> "Configuration":
        """Creates a configuration holding the string forms of the entries of ``config_dict``."""
        conf = cls()
        for key, value in config_dict.items():
            conf._data[_key_of(key)] = _format_value(value)
        return conf

    # ---- strings ----------------------------------------------------------------------------

    def get_string(self, key: str, default_value: Optional[str] = None) -> Optional[str]:
        """The value of ``key``, or ``default_value`` when absent."""
        return self._data.get(_key_of(key), default_value)

    def set_string(self, key: str, value: str) -> "Configuration":
        """Sets ``key`` to ``value``."""
        self._data[_key_of(key)] = _format_value(value)
        return self

    # ---- numbers and booleans ---------------------------------------------------------------

    def _get_parsed(self, key: str, default_value: Any, parse: Any) -> Any:
        key = _key_of(key)
        text = self._data.get(key, _MISSING)
        if text is _MISSING:
            return default_value
        try:
            return parse(key, text)
        except ValueError:
            raise
        except Exception:
            raise ValueError("Could not parse value '%s' for key '%s'" % (text, key))

    def get_integer(self, key: str, default_value: int) -> int:
        """The value of ``key`` as an int, or ``default_value`` when absent."""
        return self._get_parsed(key, default_value, lambda k, t: int(t.strip()))

    def set_integer(self, key: str, value: int) -> "Configuration":
        """Sets ``key`` to the integer ``value``."""
        self._data[_key_of(key)] = str(int(value))
        return self

    def get_boolean(self, key: str, default_value: bool) -> bool:
        """The value of ``key`` as a bool (``true``/``false``, any case), or ``default_value``."""
        return self._get_parsed(key, default_value, _parse_bool)

    def set_boolean(self, key: str, value: bool) -> "Configuration":
        """Sets ``key`` to ``true`` or ``false``."""
        self._data[_key_of(key)] = "true" if value else "false"
        return self

    def get_float(self, key: str, default_value: float) -> float:
        """The value of ``key`` as a float, or ``default_value`` when absent."""
        return self._get_parsed(key, default_value, lambda k, t: float(t.strip()))

    def set_float(self, key: str, value: float) -> "Configuration":
        """Sets ``key`` to the float ``value``."""
        self._data[_key_of(key)] = repr(float(value))
        return self

    # ---- bytes ------------------------------------------------------------------------------

    def get_bytearray(self, key: str, default_value: Optional[bytearray] = None) -> bytearray:
        """The value of ``key`` decoded from base64 (how Flink stores bytes), or the default."""
        return self._get_parsed(key, default_value,
                                lambda k, t: bytearray(base64.b64decode(t.encode("ascii"),
                                                                        validate=True)))

    def set_bytearray(self, key: str, value: bytearray) -> "Configuration":
        """Sets ``key`` to ``value``, stored base64-encoded."""
        self._data[_key_of(key)] = base64.b64encode(bytes(value)).decode("ascii")
        return self

    # ---- generic access ---------------------------------------------------------------------

    def get(self, key: Any, default_value: Any = None) -> Any:
        """The string value of ``key`` (a string or ConfigOption), or ``default_value``."""
        return self._data.get(_key_of(key), default_value)

    def set(self, key: Any, value: Any) -> "Configuration":
        """Sets ``key`` (a string or ConfigOption) to the string form of ``value``."""
        self._data[_key_of(key)] = _format_value(value)
        return self

    def contains_key(self, key: str) -> bool:
        """Whether ``key`` is set."""
        return _key_of(key) in self._data

    def key_set(self) -> Set[str]:
        """The set of keys."""
        return set(self._data.keys())

    def add_all(self, other: "Configuration", prefix: Optional[str] = None) -> "Configuration":
        """Copies all entries of ``other`` into this configuration, keys prefixed by ``prefix``."""
        for key, value in other._data.items():
            self._data[(prefix or "") + key] = value
        return self

    def add_all_to_dict(self, target_dict: Dict[str, Any]) -> None:
        """Copies all entries into ``target_dict``."""
        target_dict.update(self._data)

    def remove_config(self, config_option: Any) -> bool:
        """Removes the option (a ConfigOption or key); returns whether it was set."""
        return self._data.pop(_key_of(config_option), _MISSING) is not _MISSING

    def remove_key(self, key: str) -> bool:
        """Removes ``key``; returns whether it was set."""
        return self._data.pop(_key_of(key), _MISSING) is not _MISSING

    def to_dict(self) -> Dict[str, str]:
        """A copy of the entries as a plain dict."""
        return dict(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Configuration) and self._data == other._data

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore  # mutable

    def __repr__(self) -> str:
        return "Configuration(%r)" % (self._data,)

    def __str__(self) -> str:
        return "{" + ", ".join("%s=%s" % (k, v) for k, v in self._data.items()) + "}"

    def __copy__(self) -> "Configuration":
        return Configuration(self)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Configuration":
        conf = Configuration()
        conf._data = copy.deepcopy(self._data, memo)
        return conf


_UNITS_MS = {
    "": 1, "ms": 1, "milli": 1, "millis": 1, "millisecond": 1, "milliseconds": 1,
    "s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
    "min": 60_000, "m": 60_000, "minute": 60_000, "minutes": 60_000,
    "h": 3_600_000, "hour": 3_600_000, "hours": 3_600_000,
    "d": 86_400_000, "day": 86_400_000, "days": 86_400_000,
}


def parse_duration_ms(key: str, text: str) -> int:
    """A Flink duration string (``200 ms``, ``10s``, ``1 min``; a bare number is milliseconds)."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS_MS:
        raise ValueError("configuration '%s': cannot parse %r as a duration (e.g. '500 ms', '10 s')" % (key, text))
    return int(m.group(1)) * _UNITS_MS[m.group(2).lower()]
