"""``StreamExecutionEnvironment``: where a DataStream job is defined and executed."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, Iterable, List, Optional

from .. import _native
from ..common.configuration import Configuration
from ..common.execution_config import ExecutionConfig
from ..common.job_client import JobClient
from ..common.job_execution_result import JobExecutionResult
from ..common.job_id import JobID
from ..common.restart_strategy import RestartStrategies, RestartStrategyConfiguration
from ..common.typeinfo import TypeInformation, Types
from ._graph import Transformation, execution_plan, reachable_from_sinks, to_job_nodes
from ._runtime import PrintSpec
from .data_stream import DataStream
from ._checkpointing import native_fault_tolerance
from .checkpoint_config import CheckpointConfig
from .checkpointing_mode import CheckpointingMode
from .execution_mode import RuntimeExecutionMode
from .state_backend import EmbeddedRocksDBStateBackend, HashMapStateBackend, StateBackend

__all__ = ["StreamExecutionEnvironment"]


class StreamExecutionEnvironment:
    """Defines a job's sources and transformations, then runs it in this process."""

    def __init__(self, configuration: Optional[Configuration] = None):
        self._configuration = Configuration(configuration) if configuration is not None else Configuration()
        self._config = ExecutionConfig()
        self._transformations: List[Transformation] = []
        default = self._configuration.get_integer("parallelism.default", 0)
        self._parallelism = default if default > 0 else (os.cpu_count() or 1)
        self._max_parallelism: Optional[int] = None
        self._runtime_mode = RuntimeExecutionMode.STREAMING
        self._chaining = True
        mode = self._configuration.get_string("execution.runtime-mode", "").upper()
        if mode in RuntimeExecutionMode.__members__:
            self._runtime_mode = RuntimeExecutionMode[mode]
        self._checkpoint_config = CheckpointConfig()
        self._checkpoint_config._configure(self._configuration)
        self._clock: Optional[_native.ManualClock] = None

    @staticmethod
    def get_execution_environment(configuration: Optional[Configuration] = None) -> "StreamExecutionEnvironment":
        """A new environment; ``configuration`` takes Flink's keys (e.g. ``parallelism.default``)."""
        return StreamExecutionEnvironment(configuration)

    # ---- settings ------------------------------------------------------------------------
    def get_config(self) -> ExecutionConfig:
        return self._config

    def configure(self, configuration: Configuration) -> None:
        self._configuration.add_all(configuration)
        self._checkpoint_config._configure(configuration)
        default = configuration.get_integer("parallelism.default", 0)
        if default > 0:
            self._parallelism = default

    def set_parallelism(self, parallelism: int) -> "StreamExecutionEnvironment":
        """The default number of parallel instances of every operator."""
        if not isinstance(parallelism, int) or parallelism < 1:
            raise ValueError("parallelism must be a positive int, got %r" % (parallelism,))
        self._parallelism = parallelism
        return self

    def get_parallelism(self) -> int:
        return self._parallelism

    def set_max_parallelism(self, max_parallelism: int) -> "StreamExecutionEnvironment":
        """The number of key groups (the upper bound of any keyed operator's parallelism)."""
        if not isinstance(max_parallelism, int) or not 0 < max_parallelism <= 32768:
            raise ValueError("max parallelism must be in 1..32768, got %r" % (max_parallelism,))
        self._max_parallelism = max_parallelism
        return self

    def get_max_parallelism(self) -> int:
        return self._max_parallelism if self._max_parallelism is not None else -1

    def set_default_local_parallelism(self, parallelism: int) -> "StreamExecutionEnvironment":
        return self.set_parallelism(parallelism)

    def set_runtime_mode(self, execution_mode: RuntimeExecutionMode) -> "StreamExecutionEnvironment":
        """STREAMING (every update) or BATCH (final results of keyed aggregations only)."""
        if not isinstance(execution_mode, RuntimeExecutionMode):
            raise TypeError("expected a RuntimeExecutionMode, got %r" % (execution_mode,))
        self._runtime_mode = execution_mode
        return self

    def disable_operator_chaining(self) -> "StreamExecutionEnvironment":
        self._chaining = False
        return self

    def is_chaining_enabled(self) -> bool:
        return self._chaining

    def set_buffer_timeout(self, timeout_millis: int) -> "StreamExecutionEnvironment":
        return self

    # ---- checkpointing and state ---------------------------------------------------------
    def set_clock(self, clock: Optional[_native.ManualClock]) -> "StreamExecutionEnvironment":
        """oxflow extension (PyFlink has no such method): the processing-time clock of the jobs
        this environment runs, for deterministic tests of processing-time logic. With a
        :class:`~oxflow.datastream.ManualClock`, processing-time windows, triggers and timers,
        periodic watermarks and every ``current_processing_time()`` follow that clock, which
        moves only when the test calls its ``set``/``advance``; timers due fire when the task next
        looks at the clock (after each batch, see ``python.fn-execution.bundle.size``). ``None``
        goes back to the wall clock."""
        if clock is not None and not isinstance(clock, _native.ManualClock):
            raise TypeError("expected a ManualClock or None, got %r" % (clock,))
        self._clock = clock
        return self

    def get_checkpoint_config(self) -> CheckpointConfig:
        """The checkpoint settings (interval, mode, timeout, retention...)."""
        return self._checkpoint_config

    def enable_checkpointing(self, interval: int, mode: Optional[CheckpointingMode] = None) -> "StreamExecutionEnvironment":
        """Takes a checkpoint every ``interval`` ms: barriers from the sources, aligned at every
        operator, snapshots in ``execution.checkpointing.dir``; exactly-once sinks commit when a
        checkpoint completes."""
        self._checkpoint_config.set_checkpoint_interval(interval)
        if mode is not None:
            self._checkpoint_config.set_checkpointing_mode(mode)
        return self

    def get_checkpoint_interval(self) -> int:
        return self._checkpoint_config.get_checkpoint_interval()

    def get_checkpointing_mode(self) -> CheckpointingMode:
        return self._checkpoint_config.get_checkpointing_mode()

    get_checkpointing_consistency_mode = get_checkpointing_mode

    def set_default_savepoint_directory(self, directory: str) -> "StreamExecutionEnvironment":
        """Where ``trigger_savepoint()`` writes when given no directory."""
        self._configuration.set_string("execution.checkpointing.savepoint-dir", directory)
        return self

    def get_default_savepoint_directory(self) -> Optional[str]:
        return self._configuration.get_string("execution.checkpointing.savepoint-dir", None)

    def set_state_backend(self, state_backend: StateBackend) -> "StreamExecutionEnvironment":
        """1.x shim: the same as the configuration key ``state.backend.type``."""
        if not isinstance(state_backend, StateBackend):
            raise TypeError("set_state_backend expects a StateBackend, got %r" % (state_backend,))
        self._configuration.set_string("state.backend.type", state_backend.type_name)
        if isinstance(state_backend, EmbeddedRocksDBStateBackend):
            self._configuration.set_string("execution.checkpointing.incremental", str(state_backend.is_incremental_checkpoints_enabled()).lower())
        if isinstance(state_backend, EmbeddedRocksDBStateBackend) and state_backend.get_db_storage_paths():
            # One local directory here (Flink spreads instances over several).
            self._configuration.set_string("state.backend.rocksdb.localdir", state_backend.get_db_storage_paths()[0])
        self._state_backend = state_backend
        return self

    def set_restart_strategy(self, restart_strategy_configuration: RestartStrategyConfiguration) -> "StreamExecutionEnvironment":
        """1.x shim (``RestartStrategies.fixed_delay_restart(3, 1000)`` ...); the keys
        ``restart-strategy.*`` do the same."""
        if not isinstance(restart_strategy_configuration, RestartStrategyConfiguration):
            raise TypeError("set_restart_strategy expects a RestartStrategyConfiguration, got %r" % (restart_strategy_configuration,))
        self._restart_strategy = restart_strategy_configuration
        return self

    def get_restart_strategy(self) -> RestartStrategyConfiguration:
        return getattr(self, "_restart_strategy", None) or RestartStrategies.fall_back_restart()

    def get_state_backend(self) -> StateBackend:
        backend = getattr(self, "_state_backend", None)
        if backend is not None:
            return backend
        kind = self._configuration.get_string("state.backend.type", "hashmap").lower()
        return EmbeddedRocksDBStateBackend() if kind == "rocksdb" else HashMapStateBackend()

    # Python dependency management is a no-op: user code runs in this very interpreter.
    def _accepted(self, *args: Any, **kwargs: Any) -> None:
        return None

    add_python_file = add_python_archive = set_python_requirements = set_python_executable = _accepted
    add_jars = add_classpaths = register_cached_file = _accepted

    def _job_parameters(self) -> Dict[str, str]:
        return self._config._global_job_parameters

    def _keyed_emit_mode(self) -> str:
        # AUTOMATIC means BATCH when all sources are bounded, and every source here is bounded.
        return "every" if self._runtime_mode == RuntimeExecutionMode.STREAMING else "final"

    # ---- sources -------------------------------------------------------------------------
    def _add_transformation(self, t: Transformation) -> None:
        self._transformations.append(t)

    def _source(self, kind: str, name: str, params: dict, output_type: Any, parallelism: Optional[int] = None, non_parallel: bool = False) -> DataStream:
        t = Transformation(kind, name, [], params, parallelism=parallelism, output_type=output_type, non_parallel=non_parallel)
        self._add_transformation(t)
        return DataStream(self, t)

    def from_collection(self, collection: Iterable[Any], type_info: Optional[TypeInformation] = None) -> DataStream:
        """A stream of the collection's elements, read by a single (non-parallel) source."""
        values = list(collection)
        if type_info is not None:
            if not isinstance(type_info, TypeInformation):
                raise TypeError("type_info must be a TypeInformation (e.g. Types.STRING()), got %r" % (type_info,))
            mismatch = _native.first_type_mismatch(type_info._check_spec(), values)
            if mismatch is not None:
                index, problem = mismatch
                raise TypeError(
                    "from_collection: element %d (%r) does not match type_info %r: %s"
                    % (index, values[index], type_info, problem)
                )
            values = _native.convert_values(type_info._check_spec(), values)
        return self._source("collection", "Collection Source", {"values": values}, type_info, parallelism=1, non_parallel=True)

    def from_source(self, source: Any, watermark_strategy: Any = None, source_name: str = "Source", type_info: Optional[TypeInformation] = None) -> DataStream:
        """A stream read from a ``NumberSequenceSource`` or ``FileSource``."""
        from .connectors.file_system import FileSource
        from .connectors.number_seq import NumberSequenceSource

        if isinstance(source, NumberSequenceSource):
            return self._source("number_sequence", source_name, source._job_params(), type_info or Types.LONG())
        if isinstance(source, FileSource):
            return self._source("text_file", source_name, source._job_params(), type_info or Types.STRING())
        raise TypeError("from_source expects a NumberSequenceSource or FileSource, got %r" % (source,))

    def from_sequence(self, start: int, end: int) -> DataStream:
        """The numbers ``start..end`` (inclusive); a 1.x name kept for old programs."""
        from .connectors.number_seq import NumberSequenceSource

        return self.from_source(NumberSequenceSource(start, end), source_name="Sequence Source")

    def read_text_file(self, file_path: str, charset_name: str = "UTF-8") -> DataStream:
        """The lines of a text file (or of the files under a directory); a 1.x name."""
        from ..datastream.connectors.file_system import FileSource, StreamFormat

        source = FileSource.for_record_stream_format(StreamFormat.text_line_format(charset_name), file_path).build()
        return self.from_source(source, source_name="Text File Source")

    # ---- execution -----------------------------------------------------------------------
    def _job_transformations(self) -> List[Transformation]:
        transformations = reachable_from_sinks(self._transformations)
        if not transformations:
            raise RuntimeError("No operators defined in streaming topology. Cannot execute.")
        return transformations

    def get_execution_plan(self) -> str:
        """The job as JSON, in the shape of Flink's execution plan."""
        return execution_plan(self._job_transformations(), self._parallelism)

    def _start(self, job_name: str, inline: bool = True, job_id: Optional[JobID] = None) -> Any:
        """Starts the job. With ``inline``, a job that is a single task of parallelism 1 runs on
        this thread, driven by ``wait`` (``execute``) or ``step`` (the result iterator)."""
        transformations = self._job_transformations()
        for t in transformations:
            spec = t.params.get("function")
            if isinstance(spec, PrintSpec):
                spec.stream = sys.stdout
        nodes = to_job_nodes(transformations, self._parallelism)
        config = {"max_parallelism": self._max_parallelism, "chaining": self._chaining, "inline": inline, "clock": self._clock}
        job_id = job_id or JobID()
        config.update(native_fault_tolerance(self._configuration, self._checkpoint_config, str(job_id), getattr(self, "_restart_strategy", None)))
        # PyFlink's bundle size (elements per batch handed to Python) is our batch size.
        bundle = self._configuration.get_integer("python.fn-execution.bundle.size", 0)
        if bundle > 0:
            config["batch_size"] = bundle
        # As in Flink, executing consumes the defined transformations.
        self._transformations = []
        return _native.start_job(job_name, nodes, config)

    def execute(self, job_name: Optional[str] = None) -> JobExecutionResult:
        """Runs the job to completion (Ctrl-C cancels it) and returns its result."""
        job_id = JobID()
        job = self._start(job_name or "Flink Streaming Job", job_id=job_id)
        job.wait()
        return JobExecutionResult(job_id, job.net_runtime_ms or 0, job.metrics())

    def execute_async(self, job_name: Optional[str] = None) -> JobClient:
        """Starts the job in the background and returns a client to watch or cancel it."""
        job_id = JobID()
        client = JobClient(self._start(job_name or "Flink Streaming Job", inline=False, job_id=job_id), job_id)
        client._default_savepoint_dir = self.get_default_savepoint_directory()
        return client

    def close(self) -> None:
        self._transformations = []
