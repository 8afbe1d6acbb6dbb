"""``JobExecutionResult``: what ``env.execute()`` returns once a job has finished."""

from typing import Any, Dict, Optional, Union

from .job_id import JobID

__all__ = ["JobExecutionResult"]


class JobExecutionResult(object):
    """The result of a job execution: its id, net runtime and accumulator results."""

    def __init__(self, job_id: Union[JobID, str, None], net_runtime_ms: int = 0,
                 accumulators: Optional[Dict[str, Any]] = None):
        if job_id is None:
            job_id = JobID()
        elif not isinstance(job_id, JobID):
            job_id = JobID(job_id)
        self._job_id = job_id
        self._net_runtime = int(net_runtime_ms)
        self._accumulators = dict(accumulators or {})

    def get_job_id(self) -> JobID:
        """The id of the job."""
        return self._job_id

    def is_job_execution_result(self) -> bool:
        """Always True: the job has finished and this is its result."""
        return True

    def get_job_execution_result(self) -> "JobExecutionResult":
        """This result itself."""
        return self

    def get_net_runtime(self) -> int:
        """The net execution time of the job in milliseconds."""
        return self._net_runtime

    def get_accumulator_result(self, accumulator_name: str) -> Any:
        """The final value of the named accumulator, or ``None`` if there is none."""
        return self._accumulators.get(accumulator_name)

    def get_all_accumulator_results(self) -> Dict[str, Any]:
        """All accumulator results, by name."""
        return dict(self._accumulators)

    def __repr__(self) -> str:
        return "JobExecutionResult(job_id=%s, net_runtime=%d ms, accumulators=%r)" % (
            self._job_id, self._net_runtime, self._accumulators)

    __str__ = __repr__
