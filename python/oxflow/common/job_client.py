"""``JobClient``: a handle on a job started with ``execute_async``."""

from typing import Any

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

    def get_job_execution_result(self) -> CompletableFuture:
        """A future of the :class:`JobExecutionResult`; it raises the job's failure."""

        def result() -> JobExecutionResult:
            self._job.wait()
            return JobExecutionResult(self._job_id, self._job.net_runtime_ms or 0, self._job.metrics())

        return CompletableFuture(result)
