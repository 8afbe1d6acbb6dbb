"""Runs a checkpointed job as a subprocess, SIGKILLs it at random moments and restarts it from
its latest completed checkpoint, as an operator would after a crash (shared by the crash test
and ``benchmarks/crash_soak.py``)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import List, Optional

PROGRAM = Path(__file__).parent / "programs" / "checkpointed_counts.py"


def latest_checkpoint(checkpoint_dir: Path) -> Optional[Path]:
    """The completed ``chk-<n>`` with the highest n under ``<dir>/<job-id>/`` (any job id)."""
    best = None
    for chk in checkpoint_dir.glob("*/chk-*"):
        if (chk / "_metadata").is_file():
            n = int(chk.name[len("chk-"):])
            if best is None or n > best[0]:
                best = (n, chk)
    return best[1] if best else None


def committed_lines(out_dir: Path) -> Counter:
    """Every line of the committed (visible) part files; in-progress files are hidden."""
    lines: Counter = Counter()
    for part in out_dir.rglob("*"):
        if part.is_file() and not part.name.startswith("."):
            lines.update(part.read_text().splitlines())
    return lines


def _command(variant: str, out_dir: Path, checkpoint_dir: Path) -> List[str]:
    command = [sys.executable, str(PROGRAM), variant, str(out_dir), str(checkpoint_dir)]
    latest = latest_checkpoint(checkpoint_dir)
    if latest is not None:
        command.append(str(latest))
    return command


def run_to_end(variant: str, out_dir: Path, checkpoint_dir: Path, timeout: float = 300) -> None:
    """Runs (or resumes) the job until it finishes; raises with its stderr if it fails."""
    done = subprocess.run(_command(variant, out_dir, checkpoint_dir), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError("the job failed (exit %d):\n%s" % (done.returncode, done.stderr[-4000:]))


def crash_and_recover(variant: str, out_dir: Path, checkpoint_dir: Path, kills: int, seed: int, max_delay: float = 0.9) -> int:
    """Starts the job ``kills`` times, each time SIGKILLing it after a random delay, resuming
    from the latest checkpoint; then lets it finish. Returns how many runs were really killed
    (a run may finish before its kill comes)."""
    rng = random.Random(seed)
    killed = 0
    for _ in range(kills):
        proc = subprocess.Popen(_command(variant, out_dir, checkpoint_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.1, max_delay))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        _, err = proc.communicate()
        if proc.returncode not in (0, -signal.SIGKILL):
            raise AssertionError("a run failed (exit %d):\n%s" % (proc.returncode, err.decode()[-4000:]))
    run_to_end(variant, out_dir, checkpoint_dir)
    return killed
