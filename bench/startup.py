"""Start-up: from process start to ready, beside `python -c pass`, a bare bolt app and a bare discord.py client (issue 15, item 3).

Ready means what a user would wait for: the terminal's first question on stdout; the Slack HTTP
server accepting connections on its port (ours, and a bare slack-bolt app on bolt's own aiohttp
server, measured the same way); the Discord bot answering a direct message sent the moment the
gateway's READY went out (ours, and a bare discord.py client that answers with one word, both
against the tests' local fakes of Discord's REST API and gateway, tests/discord/). Each process
is started afresh, runs are interleaved, and the median is reported. The terminal is measured
twice: cold (the dialogs' verdicts not yet remembered, so start-up runs the validator's start-up
checks, all but the advice checks, as the first start after a release does) and warm (verdicts
remembered, as every later start).

Each surface is also started once more under `python -X importtime` and must not import a chat
platform SDK it does not use: the terminal neither slack_bolt/slack_sdk nor discord, Slack not
discord, Discord not slack_bolt/slack_sdk (a row with a target; `imported_sdks` reads the list).
"""

from __future__ import annotations

import asyncio
import os
import re
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
from tests.discord.fake_discord import FakeDiscord, snowflake, user_payload
from tests.discord.fake_gateway import FakeGateway

TITLE = "8. Start-up: process start to ready"
SECRET = "bench-startup-secret"
FIRST_QUESTION = b"[question 1 of about"
DM_USER = "4242"
# the chat SDKs each surface must leave alone (it does not use them), and one it must load (so the check can see imports at all)
NOT_USED = {"terminal": ("slack_bolt", "slack_sdk", "discord"), "slack": ("discord",), "discord": ("slack_bolt", "slack_sdk")}
USED = {"terminal": "adapters", "slack": "slack_bolt", "discord": "discord"}
_IMPORT_LINE = re.compile(r"^import time:\s+\d+\s+\|\s+\d+\s+\|\s+(\S+)")


def _python_pass() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def _terminal(cache: Path, data: Path, imports: Path | None = None) -> float:
    """Seconds until the first question is on stdout (then the chat is told to quit); `imports`: run under -X importtime."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache), "OUTSOURCE_CHECK_DATA": str(data)}
    flags = ["-X", "importtime"] if imports is not None else []
    stderr = imports.open("w") if imports is not None else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *flags, "-m", "adapters.cli", "chat", "--store", "memory:"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
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
    if imports is not None:
        stderr.close()  # type: ignore[union-attr]
    return elapsed


async def _listening(args: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    server = Server(args, env, log, free_port())
    try:
        await server.ready()
        return time.perf_counter() - started
    finally:
        server.stop()


def _dm(channel: str) -> dict:
    """A direct message to the bot, as the gateway's MESSAGE_CREATE carries it."""
    return {
        "id": snowflake(), "channel_id": channel, "author": user_payload(DM_USER, "ann"), "content": "hi",
        "timestamp": "2026-11-23T20:00:00+00:00", "edited_timestamp": None, "tts": False, "mention_everyone": False,
        "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "type": 0,
    }


async def _discord(args: list[str], env: dict[str, str], log: Path, timeout: float = 60.0) -> tuple[float, float]:
    """(seconds to the gateway's IDENTIFY, seconds to the answer to a DM sent right after READY) for one fresh process.

    Fresh fakes each time (REST and gateway, the tests' own): nothing of an earlier process is left connected.
    """
    rest, gateway = await FakeDiscord().start(), await FakeGateway().start()
    channel = rest.dm_channel(DM_USER)

    def answered() -> bool:
        return any(c.method == "POST" and c.path == f"/channels/{channel}/messages" for c in rest.calls)

    started = time.perf_counter()
    server = Server(args, {**env, "DISCORD_API_URL": rest.base, "DISCORD_GATEWAY_URL": gateway.url}, log, free_port())
    try:
        try:
            await asyncio.wait_for(gateway.until(lambda: gateway.identified), timeout)  # READY is sent before this is noted
            connected = time.perf_counter() - started
            await gateway.dispatch("MESSAGE_CREATE", _dm(channel))
            await asyncio.wait_for(rest.heard(answered), timeout)
        except TimeoutError:
            raise RuntimeError(f"{' '.join(args)} did not answer a DM within {timeout:.0f} s: {log.read_text()[-2000:]}") from None
        return connected, time.perf_counter() - started
    finally:
        await asyncio.to_thread(server.stop)  # off the loop: the bot's graceful close talks to the fakes on it
        await gateway.stop()
        await rest.stop()


def imported_sdks(importtime_log: str, surface: str) -> list[str]:
    """The SDKs in NOT_USED[surface] that a `python -X importtime` log shows imported (empty: clean).

    Raises when the surface's own package is missing from the log: then the log did not record imports at all.
    """
    names = {m[1] for line in importtime_log.splitlines() if (m := _IMPORT_LINE.match(line))}
    tops = {name.split(".")[0] for name in names}
    if USED[surface] not in tops:
        raise RuntimeError(f"the {surface} surface's import log shows no {USED[surface]}: imports were not recorded")
    return sorted(sdk for sdk in NOT_USED[surface] if sdk in tops)


async def import_check(workdir: Path, slack_env: dict[str, str], discord_env: dict[str, str], cache: Path) -> dict[str, list[str]]:
    """Each surface once under `python -X importtime`, up to ready (Discord: up to its first answer), then stopped."""
    importtime = ["-X", "importtime", "-m", "adapters.cli"]
    await asyncio.to_thread(_terminal, cache, workdir / "data-warm", workdir / "imports-terminal.log")
    await _listening([*importtime, "slack"], slack_env, workdir / "imports-slack.log")
    await _discord([*importtime, "discord"], discord_env, workdir / "imports-discord.log")
    return {surface: imported_sdks((workdir / f"imports-{surface}.log").read_text(), surface) for surface in NOT_USED}


def _median(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def run(scale: Scale, workdir: Path) -> Section:
    section = Section("startup", TITLE)
    runs = max(1, min(7, scale.slack_blocks * 2 + 1))  # full: 7, quick: 5, smoke: 3
    fake = await LeanFakeSlack().start()
    samples: dict[str, list[float]] = {k: [] for k in ("pass", "cold", "warm", "ours", "bare", "dc_ours_id", "dc_ours", "dc_bare_id", "dc_bare")}
    warm_cache = Path(tempfile.mkdtemp(dir=workdir, prefix="warm-cache-"))
    _terminal(warm_cache, workdir / "data-warm")  # remember the verdicts once: every later start is warm
    bare_env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "SLACK_BOT_TOKEN": "xoxb-bench"}
    ours = ours_env(fake.api_url, "memory:", SECRET) | {"XDG_CACHE_HOME": str(warm_cache)}
    discord_ours = {"DISCORD_TOKEN": "fake-token", "OUTSOURCE_CHECK_STORE": "memory:", "METRICS_PORT": "0", "XDG_CACHE_HOME": str(warm_cache)}
    discord_bare = {"DISCORD_TOKEN": "fake-token"}
    try:
        for index in range(runs):  # interleaved, so a noisy moment lands on every kind alike
            samples["pass"].append(await asyncio.to_thread(_python_pass))
            cold_cache = Path(tempfile.mkdtemp(dir=workdir, prefix="cold-cache-"))
            samples["cold"].append(await asyncio.to_thread(_terminal, cold_cache, workdir / f"data-cold-{index}"))
            samples["warm"].append(await asyncio.to_thread(_terminal, warm_cache, workdir / "data-warm"))
            samples["ours"].append(await _listening(["-m", "adapters.cli", "slack"], ours, workdir / f"ours-{index}.log"))
            samples["bare"].append(await _listening(["-m", "bench.bare_slack"], bare_env, workdir / f"bare-{index}.log"))
            for side, args, env in (("ours", ["-m", "adapters.cli", "discord"], discord_ours),
                                    ("bare", ["-m", "bench.bare_discord"], discord_bare)):
                connected, answered = await _discord(args, env, workdir / f"discord-{side}-{index}.log")
                samples[f"dc_{side}_id"].append(connected)
                samples[f"dc_{side}"].append(answered)
        strays = await import_check(workdir, ours, discord_ours, warm_cache)
    finally:
        await fake.stop()
    median: Callable[[str], float] = lambda kind: _median(samples[kind])  # noqa: E731
    section.rows = [
        Row("terminal: first question, verdicts remembered", median("warm"), median("pass"), "ms", "python -c pass"),
        Row("terminal: first question, first start (every start-up check runs)", median("cold"), median("pass"), "ms", "python -c pass"),
        Row("Slack HTTP: listening, verdicts remembered", median("ours"), median("bare"), "ms", "bare bolt app"),
        Row("Discord: gateway connected (IDENTIFY), verdicts remembered", median("dc_ours_id"), median("dc_bare_id"), "ms",
            "bare discord.py client"),
        Row("Discord: first DM answered after READY, verdicts remembered", median("dc_ours"), median("dc_bare"), "ms",
            "bare discord.py client", note="ours answers with the check's first question, the bare client with one word"),
        Row("chat SDKs a surface imports but does not use", sum(map(len, strays.values())), 0, "SDKs", "none", "0",
            not any(strays.values()),
            note="; ".join(f"{surface}: {', '.join(found) or 'none'} of {'/'.join(NOT_USED[surface])}" for surface, found in strays.items())),
    ]
    section.notes.append("SDK imports (python -X importtime, up to ready): " + "; ".join(
        f"{surface} imports {', '.join(found)} (it does not use it)" if found else f"{surface}: none it does not use"
        for surface, found in strays.items()))
    section.method = (
        f"Median of {runs} fresh processes of each kind, interleaved. Ready: the terminal's first question on stdout"
        " (`outsource-check chat --store memory:`); the Slack server accepting connections on its port (ours: "
        "`outsource-check slack` on the memory store against the local fake Slack; the baseline: a bare slack-bolt app "
        "on bolt's aiohttp server). \"First start\" gives the process an empty verdict cache, so it runs every check of "
        "the validator on the shipped dialogs (the exact walk of every path, bot/dialogs/validator.py); later starts find "
        "the verdict remembered (bot/dialogs/verdicts.py). Discord: `outsource-check discord` on the memory store, and a bare "
        "discord.py client (bench/bare_discord.py, the same intents), each against fresh local fakes of Discord's REST API and "
        "gateway (the tests', tests/discord/); connected = the gateway received IDENTIFY (login, application info, our command "
        "sync and the handshake done; READY goes out at once); ready = a DM sent right after READY was answered: the first "
        "moment the bot serves (discord.py's `on_ready` itself fires 2 s later for both, its wait for guilds that a bot in no "
        "server never gets). Finally each surface runs once under `python -X importtime` (terminal and Slack up to ready, "
        "Discord up to its first answer) and must import no chat SDK it does not use."
    )
    return section
