"""``OutputTag``: names a side output, as ``pyflink.datastream.output_tag``."""

import itertools
import threading
from typing import Any, Dict, Optional

__all__ = ["OutputTag"]

_ids: Dict[str, int] = {}
_next_id = itertools.count(1)
_lock = threading.Lock()


class OutputTag:
    """A side output of a process function (``yield tag, value``) or of late window data."""

    def __init__(self, tag_id: str, type_info: Optional[Any] = None):
        if not isinstance(tag_id, str) or not tag_id:
            raise ValueError("OutputTag needs a non-empty str id, got %r" % (tag_id,))
        self.tag_id = tag_id
        self.type_info = type_info
        with _lock:
            if tag_id not in _ids:
                _ids[tag_id] = next(_next_id)
            # The runtime routes side outputs by this number.
            self._oxflow_id = _ids[tag_id]

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, OutputTag) and other.tag_id == self.tag_id

    def __hash__(self) -> int:
        return hash(self.tag_id)

    def __repr__(self) -> str:
        return "OutputTag(%r)" % (self.tag_id,)
