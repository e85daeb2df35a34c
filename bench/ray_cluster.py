"""A one-node Ray cluster on this machine for the benchmarks: started before a batch (as a
real cluster is), on loopback only, with its files in a temporary folder, stopped after.

    with local_ray_head(cpus=2) as (address, env):
        subprocess.run(["grade", "batch", ..., "--executor", "ray", "--ray-address", address],
                       env=env)
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

RAY = Path(sys.executable).parent / "ray"


def ray_env() -> dict[str, str]:
    """This machine only (loopback), a token of its own (nothing written to ~/.ray)."""
    return {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(16), "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}


@contextlib.contextmanager
def local_ray_head(cpus: int) -> Iterator[tuple[str, dict[str, str]]]:
    """(address, environment to connect with) of a running head node."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = ray_env()
    with tempfile.TemporaryDirectory(prefix="ray-", dir="/tmp") as temp:
        head = subprocess.Popen(
            [str(RAY), "start", "--head", "--block", f"--port={port}", f"--num-cpus={cpus}",
             "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        watchdog = threading.Timer(300, head.kill)
        watchdog.start()
        try:
            said = []
            for line in head.stdout:
                said.append(line)
                if "block forever" in line:
                    break
            watchdog.cancel()
            if head.poll() is not None:
                raise RuntimeError("ray start failed:\n" + "".join(said))
            yield f"127.0.0.1:{port}", env
        finally:
            watchdog.cancel()
            head.terminate()
            try:
                head.wait(timeout=60)
            except subprocess.TimeoutExpired:
                head.kill()
            _kill_processes_mentioning(temp)


def _kill_processes_mentioning(fragment: str) -> None:
    """What is left of this cluster (its processes name its own temporary folder)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if fragment.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            continue
