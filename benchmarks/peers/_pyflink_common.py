"""Helpers of the PyFlink peer scripts (run with the PyFlink virtualenv's python)."""
import os
import sys


def quiet_stdout():
    """Sends fd 1 to /dev/null, keeping the JVM's chatter off the stdout that carries the
    script's JSON line; returns a file writing to the real stdout."""
    real_stdout = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.close(fd)
    return real_stdout


def flink_version():
    """The installed apache-flink version, or '?'."""
    try:
        from importlib.metadata import version
        return version("apache-flink")
    except Exception:  # pragma: no cover
        return "?"
