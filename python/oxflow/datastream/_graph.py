"""The logical graph the DataStream API builds, and its translation into the native job description.

Each API call appends a :class:`Transformation`. At ``execute`` the transformations that lead to a
sink are numbered in topological order and handed to the native runtime as plain dicts.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Dict, List, Optional, Tuple

_ids = itertools.count(1)

# Kinds that produce no output.
SINK_KINDS = {"python_sink", "file_sink", "table_feed"}
# Kinds whose records may carry side-output tags; their main consumers read through a selection.
SIDE_OUTPUT_KINDS = {"process", "keyed_process", "window"}
SOURCE_KINDS = {"collection", "number_sequence", "text_file"}

# Partitionings a user can ask for; None means "forward if the parallelism matches, else rebalance".
PARTITIONINGS = {"forward", "rebalance", "rescale", "shuffle", "hash", "broadcast", "global"}


class Transformation:
    """One node of the logical graph."""

    def __init__(
        self,
        kind: str,
        name: str,
        inputs: List[Tuple["Transformation", Optional[str]]],
        params: Optional[Dict[str, Any]] = None,
        parallelism: Optional[int] = None,
        output_type: Any = None,
        non_parallel: bool = False,
    ):
        self.id = next(_ids)
        self.kind = kind
        self.name = name
        self.inputs = inputs
        self.params = dict(params or {})
        self.parallelism = parallelism
        self.max_parallelism: Optional[int] = None
        self.output_type = output_type
        self.non_parallel = non_parallel
        self.uid: Optional[str] = None
        self.description: Optional[str] = None
        # key_by nodes take their input's parallelism: they run chained to it.
        self.follows_input_parallelism = False

    def effective_parallelism(self, default: int) -> int:
        if self.follows_input_parallelism:
            return self.inputs[0][0].effective_parallelism(default)
        return self.parallelism if self.parallelism is not None else default

    def __repr__(self) -> str:
        return "Transformation(%d, %s, %r)" % (self.id, self.kind, self.name)


def reachable_from_sinks(transformations: List[Transformation]) -> List[Transformation]:
    """The transformations sinks depend on, in topological order (inputs first)."""
    order: List[Transformation] = []
    seen = set()

    def visit(t: Transformation) -> None:
        if t.id in seen:
            return
        seen.add(t.id)
        for upstream, _ in t.inputs:
            visit(upstream)
        order.append(t)

    for t in transformations:
        if t.kind in SINK_KINDS:
            visit(t)
    return order


def _resolve_partitioning(requested: Optional[str], upstream_p: int, downstream_p: int) -> str:
    if requested is None:
        return "forward" if upstream_p == downstream_p else "rebalance"
    return requested


def _with_output_selection(transformations: List[Transformation]) -> List[Transformation]:
    """Adds, after every operator that may emit side outputs, a node selecting its main output,
    and reconnects the operator's main consumers to it (side consumers select their tag)."""
    main_of: Dict[int, Transformation] = {}
    result: List[Transformation] = []
    for t in transformations:
        if t.inputs and t.kind != "select_output":
            rewired = [(main_of.get(up.id, up), part) for up, part in t.inputs]
            if rewired != t.inputs:
                copy = Transformation.__new__(Transformation)
                copy.__dict__.update(t.__dict__)
                copy.inputs = rewired
                t = copy
        result.append(t)
        if t.kind in SIDE_OUTPUT_KINDS:
            main = Transformation("select_output", "Main Output", [(t, "forward")], {"output": 0})
            main.follows_input_parallelism = True
            main_of[t.id] = main
            result.append(main)
    return result


def to_job_nodes(transformations: List[Transformation], default_parallelism: int) -> List[Dict[str, Any]]:
    """The native job description of ``transformations`` (already in topological order)."""
    return _job_nodes_of(_with_output_selection(transformations), default_parallelism)


def _job_nodes_of(transformations: List[Transformation], default_parallelism: int) -> List[Dict[str, Any]]:
    index = {t.id: i for i, t in enumerate(transformations)}
    nodes = []
    for t in transformations:
        p = t.effective_parallelism(default_parallelism)
        inputs = []
        two_inputs = bool(t.params.get("two_inputs"))
        for port, (upstream, partitioning) in enumerate(t.inputs):
            up_p = upstream.effective_parallelism(default_parallelism)
            inputs.append((index[upstream.id], _resolve_partitioning(partitioning, up_p, p), port if two_inputs else 0))
        node = {"name": t.name, "parallelism": p, "kind": t.kind, "inputs": inputs}
        if t.uid is not None:
            node["uid"] = t.uid
        node.update(t.params)
        nodes.append(node)
    return nodes


def execution_plan(transformations: List[Transformation], default_parallelism: int) -> str:
    """A JSON description of the job in the shape of Flink's ``get_execution_plan``."""
    transformations = _with_output_selection(transformations)
    index = {t.id: i + 1 for i, t in enumerate(transformations)}
    nodes = []
    for t, node in zip(transformations, _job_nodes_of(transformations, default_parallelism)):
        entry: Dict[str, Any] = {
            "id": index[t.id],
            "type": t.name,
            "pact": "Data Source" if t.kind in SOURCE_KINDS else "Data Sink" if t.kind in SINK_KINDS else "Operator",
            "contents": t.name,
            "parallelism": node["parallelism"],
        }
        if t.inputs:
            entry["predecessors"] = [
                {"id": upstream_index + 1, "ship_strategy": partitioning.upper(), "side": "second"}
                for upstream_index, partitioning, _ in node["inputs"]
            ]
        nodes.append(entry)
    return json.dumps({"nodes": nodes}, indent=2)
