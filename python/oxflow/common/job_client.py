"""``JobClient``: a handle on a job started with ``execute_async``."""

from typing import Any, Optional

from .completable_future import CompletableFuture
from .job_execution_result import JobExecutionResult
from .job_id import JobID
from .job_status import JobStatus

__all__ = ["JobClient"]


class JobClient:
    """Watches and controls a running job."""

    def __init__(self, native_job: Any, job_id: JobID):
        self._job = native_job
        self._job_id = job_id
        self._cancelled = False

    def get_job_id(self) -> JobID:
        return self._job_id

    def get_job_status(self) -> CompletableFuture:
        """A future of the job's current :class:`JobStatus`."""
        return CompletableFuture(self._status)

    def _status(self) -> JobStatus:
        if not self._job.is_finished():
            return JobStatus.CANCELLING if self._cancelled else JobStatus.RUNNING
        try:
            self._job.wait(0)
        except BaseException:
            return JobStatus.CANCELED if self._cancelled else JobStatus.FAILED
        return JobStatus.FINISHED

    def cancel(self) -> CompletableFuture:
        """Cancels the job; the future completes when it has stopped."""
        self._cancelled = True
        self._job.cancel()
        return CompletableFuture(self._wait_quietly)

    def _wait_quietly(self) -> None:
        try:
            self._job.wait()
        except BaseException:
            pass

    def trigger_savepoint(self, savepoint_directory: Optional[str] = None) -> CompletableFuture:
        """Takes a savepoint of the running job into ``savepoint_directory`` (or the default
        savepoint directory); the future gives the savepoint's path."""
        target = self._savepoint_target(savepoint_directory)
        return CompletableFuture(lambda: self._job.trigger_savepoint(target))

    def stop_with_savepoint(self, advance_to_end_of_event_time: bool = False, savepoint_directory: Optional[str] = None) -> CompletableFuture:
        """Takes a savepoint, then stops the job; the future gives the savepoint's path. The
        output the savepoint covers is committed; a job restored from it continues from there."""
        target = self._savepoint_target(savepoint_directory)

        def stop() -> str:
            return self._job.trigger_savepoint(target, True)

        return CompletableFuture(stop)

    def _savepoint_target(self, directory: Optional[str]) -> str:
        directory = directory or getattr(self, "_default_savepoint_dir", None)
        if not directory:
            raise ValueError(
                "no savepoint directory: pass one, or set env.set_default_savepoint_directory(...) "
                "or 'execution.checkpointing.savepoint-dir'"
            )
        return directory[len("file://"):] if directory.startswith("file://") else directory

    def get_job_execution_result(self) -> CompletableFuture:
        """A future of the :class:`JobExecutionResult`; it raises the job's failure."""

        def result() -> JobExecutionResult:
            self._job.wait()
            return JobExecutionResult(self._job_id, self._job.net_runtime_ms or 0, self._job.metrics())

        return CompletableFuture(result)
