"""``CompletableFuture``: the result of an asynchronous job operation."""

import threading
from typing import Any, Callable, Optional

__all__ = ["CompletableFuture"]


class CompletableFuture:
    """A value computed in the background by ``compute``; ``result()`` waits for it."""

    def __init__(self, compute: Callable[[], Any]):
        self._done = threading.Event()
        self._value: Any = None
        self._error: Optional[BaseException] = None
        self._cancelled = False

        def run() -> None:
            try:
                self._value = compute()
            except BaseException as e:  # handed to the caller of result()
                self._error = e
            finally:
                self._done.set()

        threading.Thread(target=run, name="oxflow-future", daemon=True).start()

    def cancel(self) -> bool:
        self._cancelled = True
        return not self._done.is_set()

    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: Optional[float] = None) -> Any:
        if not self._done.wait(timeout):
            raise TimeoutError("the operation did not complete in %s seconds" % timeout)
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self) -> Optional[BaseException]:
        self._done.wait()
        return self._error
