"""``JobID``: the 16-byte identifier of a job, printed as 32 hex digits."""

import os
import re
from typing import Optional, Union

__all__ = ["JobID"]

_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


class JobID(object):
    """Identifies a job. ``JobID()`` draws a random id; ``JobID(hex)`` parses 32 hex digits."""

    __slots__ = ("_bytes",)

    def __init__(self, id_value: Optional[Union[str, bytes]] = None):
        if id_value is None:
            self._bytes = os.urandom(16)
        elif isinstance(id_value, (bytes, bytearray)):
            if len(id_value) != 16:
                raise ValueError("a JobID has 16 bytes, got %d" % len(id_value))
            self._bytes = bytes(id_value)
        elif isinstance(id_value, str) and _HEX32.match(id_value):
            self._bytes = bytes.fromhex(id_value)
        else:
            raise ValueError("Cannot parse JobID from %r: expected 32 hex digits" % (id_value,))

    @staticmethod
    def generate() -> "JobID":
        """A new random job id."""
        return JobID()

    @staticmethod
    def from_hex_string(hex_string: str) -> "JobID":
        """Parses a job id from its 32 hex digits."""
        return JobID(hex_string)

    def to_hex_string(self) -> str:
        """The id as 32 lowercase hex digits."""
        return self._bytes.hex()

    def get_bytes(self) -> bytes:
        """The 16 bytes of the id."""
        return self._bytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobID) and self._bytes == other._bytes

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("JobID", self._bytes))

    def __str__(self) -> str:
        return self.to_hex_string()

    def __repr__(self) -> str:
        return "JobID(%r)" % self.to_hex_string()

    def __reduce__(self):
        return JobID, (self.to_hex_string(),)
