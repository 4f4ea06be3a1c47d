"""What every benchmark that serves the real app in a subprocess shares: a clean environment and
waiting until `/health/ready` answers (or saying why the server did not come up)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from pathlib import Path

import httpx

# Benchmarks measure requests, not the sweep, the rate limits or the log.
QUIET = {
    "MINHU_SWEEP_INTERVAL_SECONDS": "0",
    "MINHU_RATE_LIMIT_SUBJECT": "",
    "MINHU_RATE_LIMIT_ADDRESS": "",
    "MINHU_LOG_LEVEL": "WARNING",
}


def child_env(drop: tuple[str, ...] = ("NEO4J_", "JWT_", "MINHU_"), **extra: str) -> dict[str, str]:
    """This process's environment without the settings the benchmark decides, made quiet, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**env, **QUIET, **extra}


async def wait_ready(http: httpx.AsyncClient, proc: subprocess.Popen, log_path: Path, tries: int = 1200) -> None:
    """Until the server answers ready; RuntimeError with its log's tail if it exits or never does."""
    for _ in range(tries):
        if proc.poll() is not None:
            raise RuntimeError(f"minhu serve exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get("/health/ready")).status_code == 200:
                return
        await asyncio.sleep(0.25)
    raise RuntimeError("minhu serve never became ready:\n" + log_path.read_text()[-3000:])


def stop(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Stops a served app as Ctrl-C would (SIGINT: it shuts down cleanly); kills it after `timeout` s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
