"""Start-up: from process start to ready, beside `python -c pass` and a bare bolt app (issue 15, item 3).

Ready means what a user would wait for: the terminal's first question on stdout; the Slack HTTP
server accepting connections on its port (ours, and a bare slack-bolt app on bolt's own aiohttp
server, measured the same way). Each process is started afresh, runs are interleaved, and the
median is reported. The terminal is measured twice: cold (the dialogs' verdicts not yet remembered,
so start-up runs every check of the validator, as the first start after a release does) and warm
(verdicts remembered, as every later start). The Discord gateway's READY is not measured here.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, Row, Scale, Section
from bench.fake_slack import LeanFakeSlack
from bench.procs import Server, free_port, ours_env

TITLE = "Start-up: process start to ready"
SECRET = "bench-startup-secret"
FIRST_QUESTION = b"[question 1 of about"


def _python_pass() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def _terminal(cache: Path, data: Path) -> float:
    """Seconds until the first question is on stdout (then the chat is told to quit)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache), "OUTSOURCE_CHECK_DATA": str(data)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "chat", "--store", "memory:"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stdin is not None
    seen = b""
    while FIRST_QUESTION not in seen:
        chunk = process.stdout.read1(65536)
        if not chunk:
            process.wait(timeout=60)
            raise RuntimeError(f"the chat ended before its first question (exit {process.returncode})")
        seen += chunk
    elapsed = time.perf_counter() - started
    process.stdin.write(b"q\n")
    process.stdin.close()
    process.wait(timeout=60)
    return elapsed


async def _listening(args: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    server = Server(args, env, log, free_port())
    try:
        await server.ready()
        return time.perf_counter() - started
    finally:
        server.stop()


def _median(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def run(scale: Scale, workdir: Path) -> Section:
    section = Section("startup", TITLE)
    runs = max(1, min(7, scale.slack_blocks * 2 + 1))  # full: 7, quick: 5, smoke: 3
    fake = await LeanFakeSlack().start()
    samples: dict[str, list[float]] = {"pass": [], "cold": [], "warm": [], "ours": [], "bare": []}
    warm_cache = Path(tempfile.mkdtemp(dir=workdir, prefix="warm-cache-"))
    _terminal(warm_cache, workdir / "data-warm")  # remember the verdicts once: every later start is warm
    bare_env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "SLACK_BOT_TOKEN": "xoxb-bench"}
    try:
        for index in range(runs):  # interleaved, so a noisy moment lands on every kind alike
            samples["pass"].append(await asyncio.to_thread(_python_pass))
            cold_cache = Path(tempfile.mkdtemp(dir=workdir, prefix="cold-cache-"))
            samples["cold"].append(await asyncio.to_thread(_terminal, cold_cache, workdir / f"data-cold-{index}"))
            samples["warm"].append(await asyncio.to_thread(_terminal, warm_cache, workdir / "data-warm"))
            ours = ours_env(fake.api_url, "memory:", SECRET) | {"XDG_CACHE_HOME": str(warm_cache)}
            samples["ours"].append(await _listening(["-m", "adapters.cli", "slack"], ours, workdir / f"ours-{index}.log"))
            samples["bare"].append(await _listening(["-m", "bench.bare_slack"], bare_env, workdir / f"bare-{index}.log"))
    finally:
        await fake.stop()
    median: Callable[[str], float] = lambda kind: _median(samples[kind])  # noqa: E731
    section.rows = [
        Row("terminal: first question, verdicts remembered", median("warm"), median("pass"), "ms", "python -c pass"),
        Row("terminal: first question, first start (every check runs)", median("cold"), median("pass"), "ms", "python -c pass"),
        Row("Slack HTTP: listening, verdicts remembered", median("ours"), median("bare"), "ms", "bare bolt app"),
    ]
    section.method = (
        f"Median of {runs} fresh processes of each kind, interleaved. Ready: the terminal's first question on stdout"
        " (`outsource-check chat --store memory:`); the Slack server accepting connections on its port (ours: "
        "`outsource-check slack` on the memory store against the local fake Slack; the baseline: a bare slack-bolt app "
        "on bolt's aiohttp server). \"First start\" gives the process an empty verdict cache, so it runs every check of "
        "the validator on the shipped dialogs (the exact walk of every path, bot/dialogs/validator.py); later starts find "
        "the verdict remembered (bot/dialogs/verdicts.py). The Discord gateway's READY is not measured here."
    )
    return section
