"""Shared helpers of the Python test suite (which uses the public API only)."""

from collections import Counter
from typing import Any, Callable, List

import pytest

from oxflow.datastream import StreamExecutionEnvironment

PARALLELISMS = [1, 4]


def env_with(parallelism: int) -> StreamExecutionEnvironment:
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(parallelism)
    return env


def collect(build: Callable[[StreamExecutionEnvironment], Any], parallelism: int) -> List[Any]:
    """Runs the pipeline ``build(env)`` returns (a DataStream) and collects its elements."""
    return list(build(env_with(parallelism)).execute_and_collect())


def multiset(values: List[Any]) -> Counter:
    return Counter(map(repr, values))


@pytest.fixture(params=PARALLELISMS, ids=lambda p: "p%d" % p)
def parallelism(request: Any) -> int:
    return request.param
