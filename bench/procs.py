"""Starting and stopping the server processes a benchmark drives (only ever on 127.0.0.1).

Servers run in their own processes, as in production, so the load generator's own work is not
counted against them; each is stopped by its own process id when the benchmark ends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One server process: `python -m MODULE ...` with its own environment and log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, port: int, *, under: tuple[str, ...] = ()) -> None:
        """`under`: a command the interpreter runs inside (valgrind, for benchmark 10)."""
        self.port = port
        self.log = log
        self._log_file = log.open("w")
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env, "PORT": str(port), "HOST": "127.0.0.1"}
        self.process = subprocess.Popen([*under, sys.executable, *args], env=full_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self._log_file)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def ready(self, timeout: float = 60.0) -> None:
        """Wait until the port accepts connections (bounded: a server that never comes up is an error)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                await writer.wait_closed()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError(f"server on port {self.port} did not come up in {timeout:.0f} s")

    def rss_kib(self) -> int:
        """Resident memory of the server process (from /proc), for the memory figures."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (from /proc): a figure less
        sensitive to a noisy neighbour than throughput, read before and after a block."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log_file.close()
        return self.process.returncode


def ours_env(fake_api_url: str, store: str, secret: str) -> dict[str, str]:
    """The production `outsource-check slack` in HTTP mode, pointed at the local fake Slack."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": fake_api_url,
        "OUTSOURCE_CHECK_STORE": store,
        "METRICS_PORT": "0",
    }
