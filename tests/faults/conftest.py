"""The fault suite's machinery: real `outsource-check` processes, a private redis-server, the fake Slack.

Every process here is the real command (`python -m adapters.cli slack` in HTTP mode, or `chat`),
started with its own environment on 127.0.0.1 ports the kernel picked, and killed by the fixture
that started it whatever the test did. Slack is the local fake of `tests/slack/fake_slack.py`;
requests to the bot are signed as Slack signs them (`tests/slack/conftest.py`'s Harness).

Every wait is bounded twice, by a count and by `HANG` seconds: those are hang guards, never speed
limits, and no test asserts how long anything took.

`FAULT_FIGURES=path.json python -m pytest tests/faults` writes each test's counts to that file
(the figures in docs/reliability.md come from such a run).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import redis

from bot.conversation.buttons import decode
from bot.conversation.session import Session
from bot.words import TRY_AGAIN
from tests.conftest import ROOT
from tests.slack.conftest import SECRET, Harness, SlackUser
from tests.slack.fake_slack import FakeSlack, Message

HANG = 30.0  # seconds any one wait may take before the test fails as hung
TEAM = "T1"
FIGURES_FILE = os.environ.get("FAULT_FIGURES", "")  # read at import: the tests' environment is cleaned later
_figures: dict[str, dict] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unique(tag: str) -> str:
    """A Slack-looking user id no other test or run uses."""
    return f"U{tag.upper()}{uuid.uuid4().hex[:8].upper()}"


def process_env(**settings: str) -> dict[str, str]:
    """The test process's environment without any of the bot's settings, plus `settings`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "OUTSOURCE_CHECK_"))}
    return {**base, "PYTHONPATH": str(ROOT), **settings}


async def until(predicate, what: str, timeout: float = HANG) -> None:
    """Poll `predicate` (a synchronisation point, not a speed limit): at most `timeout` seconds and 10,000 looks."""
    deadline = time.monotonic() + timeout
    for _ in range(10_000):
        if predicate():
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def record_figures(test: str, **counts: object) -> None:
    """Counts a test observed, for docs/reliability.md (written only when FAULT_FIGURES is set)."""
    _figures[test] = counts


def pytest_sessionfinish(session, exitstatus) -> None:
    if FIGURES_FILE and _figures:
        Path(FIGURES_FILE).write_text(json.dumps(_figures, indent=2, sort_keys=True) + "\n")


# --- the fake Slack, with the time of every call --------------------------------------------------


class TimedFakeSlack(FakeSlack):
    """FakeSlack that also notes when each call arrived (`body["_at"]`, time.monotonic(), to check Retry-After),
    the status it was answered with (`body["_status"]`), and which calls arrived at all (`arrived_methods`),
    held ones included, before they are answered."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived_methods: list[str] = []

    async def _record(self, method: str, body: dict, request):  # type: ignore[override]
        body["_at"] = time.monotonic()
        self.arrived_methods.append(method)
        answer = await super()._record(method, body, request)
        body["_status"] = answer[0] if answer is not None else 200  # the same dict the call keeps
        return answer


@pytest.fixture
async def fake():
    slack = await TimedFakeSlack().start()
    try:
        yield slack
    finally:
        for gate in slack.held.values():  # a test that failed while holding a call must not stall the shutdown
            gate.set()
        await slack.stop()


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 signature over any bytes (slack_sdk's own helper signs only text)."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def texts_sent(fake: FakeSlack) -> list[str]:
    """Every call the bots made to Slack, as text: what could reach a user."""
    return [json.dumps(call["body"], ensure_ascii=False) for call in fake.calls]


def assert_no_traceback_reached_users(fake: FakeSlack) -> None:
    for text in texts_sent(fake):
        assert "Traceback" not in text and 'File "' not in text, text[:500]


def notices(fake: FakeSlack, user_id: str) -> list[str]:
    """What `user_id` was told on the side (ephemerals in their DM, or addressed to them)."""
    dm = fake.dm_channel(user_id)
    return [e.get("text", "") for e in fake.ephemerals if e.get("channel") == dm or e.get("user") == user_id]


def try_agains(fake: FakeSlack, user_id: str) -> int:
    return sum(TRY_AGAIN in text for text in notices(fake, user_id))


# --- a private redis-server -------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own, on a free loopback port, writing every change to its folder
    (append-only file, fsync on every write), so a SIGKILL and a restart on the same port keep all it acknowledged.

    Never the shared server on 6379: this one may be killed, paused and restarted at will.
    """

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run 'bash scripts/test', which installs it")
        self.binary, self.folder = binary, folder
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5, decode_responses=True)

    def start(self) -> None:
        """Start (or restart, on the same port and files); on the first start, another port if this one was taken."""
        for _ in range(3):
            if not self.port:
                self.port = free_port()
            self.process = subprocess.Popen(
                [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
                 "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.folder,
            )
            if self._answers():
                return
            self.kill()
            if (self.folder / "appendonlydir").exists():
                raise AssertionError(f"redis-server did not come back on port {self.port}")
            self.port = 0  # the first start lost a race for the port: take another
        raise AssertionError("redis-server did not start")

    def _answers(self) -> bool:
        """True once *our* server answers on the port (its pid proves it is not someone else's)."""
        deadline = time.monotonic() + HANG
        for _ in range(1000):
            if self.process is None or self.process.poll() is not None or time.monotonic() > deadline:
                return False
            try:
                info = self.client().info("server")
                if int(info["process_id"]) == self.process.pid:
                    return True
                return False  # the port belongs to another server
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                time.sleep(0.02)
        return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(HANG)


@pytest.fixture
def private_redis(tmp_path: Path):
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- real `outsource-check slack` processes ---------------------------------------------------------


class Bot:
    """One `outsource-check slack` process in HTTP mode on 127.0.0.1, its Web API pointed at the fake.

    Its stdout and stderr go through one pipe into `lines` (a reader thread drains it), so whatever
    the process prints, a traceback included, is seen, and no file limit on the process affects it.
    """

    def __init__(self, fake: FakeSlack, store: str, *, name: str, data: Path, metrics: bool = False, env: dict | None = None) -> None:
        self.fake, self.store, self.name, self.metrics = fake, store, name, metrics
        self.extra = {"OUTSOURCE_CHECK_DATA": str(data), **(env or {})}
        self.lines: list[str] = []
        self.port = self.metrics_port = 0
        self.process: subprocess.Popen | None = None
        self.killed = False
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def harness(self) -> Harness:
        return Harness(self.fake, self.url, None)

    def user(self, user_id: str) -> SlackUser:
        return self.harness().user(user_id)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _drain(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    async def start(self) -> Bot:
        for _ in range(3):
            self.port = free_port()
            self.metrics_port = free_port() if self.metrics else 0
            env = process_env(
                SLACK_BOT_TOKEN="xoxb-faults", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=self.fake.api_url,
                HOST="127.0.0.1", PORT=str(self.port), METRICS_PORT=str(self.metrics_port),
                OUTSOURCE_CHECK_STORE=self.store, **self.extra,
            )
            self.lines = []
            self.process = subprocess.Popen(
                [sys.executable, "-m", "adapters.cli", "slack"], env=env, cwd=ROOT,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            self._reader = threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True)
            self._reader.start()
            if await self._healthy():
                return self
            self.process.wait(HANG)
            self._reader.join(HANG)
            if not any("address already in use" in line.lower() for line in self.lines):
                raise AssertionError(f"{self.name} exited with {self.process.returncode}: " + "\n".join(self.lines[-20:]))
        raise AssertionError(f"{self.name} found no free port")

    async def _healthy(self) -> bool:
        """Up once *this* process said it listens on its port (another run's bot may have taken the port) and answers."""
        deadline = time.monotonic() + HANG
        listening = f"listening on http://127.0.0.1:{self.port}/"
        async with aiohttp.ClientSession() as session:
            for _ in range(1000):
                assert time.monotonic() < deadline, f"{self.name} did not come up: " + "\n".join(self.lines[-20:])
                if self.process is None or self.process.poll() is not None:
                    return False
                if not any(listening in line for line in list(self.lines)):
                    await asyncio.sleep(0.02)
                    continue
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return True
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.02)
        raise AssertionError(f"{self.name} did not come up")

    async def ready(self) -> int:
        """The status of the process's /readyz (its store answers: 200; otherwise 503)."""
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{self.metrics_port}/readyz") as response:
                return response.status

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crash or the OOM killer would do it."""
        assert self.process is not None
        self.killed = True
        self.process.kill()
        self.process.wait(HANG)

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops it; its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(HANG)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(HANG)
        if self._reader is not None:
            self._reader.join(HANG)
        return self.process.returncode

    def records(self) -> list[dict]:
        """The process's JSON log lines; a line that is not JSON (a raw traceback, say) becomes an ERROR record."""
        found = []
        for line in list(self.lines):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                entry = {"level": "ERROR", "message": f"not a log line: {line}"}
            found.append(entry)
        return found

    def loud(self, since: int = 0) -> list[dict]:
        """WARNING and above, from the `since`-th record on."""
        return [r for r in self.records()[since:] if str(r.get("level", "")).upper() in {"WARNING", "ERROR", "CRITICAL"}]

    def errors(self) -> list[str]:
        """ERROR lines and tracebacks: a fault the process did not handle."""
        return [
            json.dumps(r)[:600] for r in self.records()
            if str(r.get("level", "")).upper() in {"ERROR", "CRITICAL"} or "Traceback" in json.dumps(r)
        ]


class Bots:
    """Starts bot processes for one test; kills whatever is left when the test ends, pass or fail."""

    def __init__(self, fake: FakeSlack, data: Path) -> None:
        self.fake, self.data = fake, data
        self.started: list[Bot] = []

    async def start(self, store: str, *, metrics: bool = False, env: dict | None = None) -> Bot:
        bot = Bot(self.fake, store, name=f"bot {len(self.started) + 1}", data=self.data, metrics=metrics, env=env)
        self.started.append(bot)
        return await bot.start()

    def finish(self, *, allow_errors: bool = False) -> None:
        """Every process not killed on purpose is still up, stops cleanly on SIGTERM, and logged no ERROR."""
        for bot in self.started:
            if bot.killed:
                continue
            assert bot.alive(), f"{bot.name} died: " + "\n".join(bot.lines[-20:])
            assert bot.stop() == 0, f"{bot.name} did not stop cleanly: " + "\n".join(bot.lines[-20:])
            if not allow_errors:
                assert bot.errors() == [], bot.errors()

    def cleanup(self) -> None:
        for bot in self.started:
            if bot.process is not None and bot.process.poll() is None:
                bot.process.kill()
                bot.process.wait(HANG)
            if bot._reader is not None:
                bot._reader.join(HANG)


@pytest.fixture
async def bots(fake, tmp_path: Path):
    started = Bots(fake, tmp_path / "bot-data")
    try:
        yield started
    finally:
        started.cleanup()


# --- what users do, and what the store kept ---------------------------------------------------------


def answer_value(value: object) -> object:
    """An answer as the store keeps it, made comparable with what was clicked (ids as strings)."""
    if isinstance(value, (tuple, list)):
        return tuple(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Click:
    node: str
    value: object
    message: Message


def current(user: SlackUser) -> Message:
    """The newest message in the user's DM that asks something (a notice posted below it does not count)."""
    fake = user.h.fake
    asking = [m for (ch, _), m in fake.messages.items() if ch == user.dm and any(b.get("block_id") == "answer" for b in m.blocks)]
    return max(asking, key=lambda m: float(m.ts)) if asking else user.living()


async def press(user: SlackUser, message: Message | None = None) -> Click:
    """Answer the question on screen the way a person would (the first answer; the first box, then Next)."""
    message = message or current(user)
    picker = next((e for b in message.blocks if b.get("block_id") == "picks" for e in b["elements"]), None)
    if picker is not None:
        option = picker["options"][0]
        _, element = user.find(message, "Next")
        status, _ = await user.tick([option["text"]["text"]], message)
        value: object = (option["value"],)
    else:
        element = next(e for b in message.blocks if b.get("block_id") == "answer" for e in b["elements"])
        status, _ = await user.click(element["text"]["text"], message)
        value = decode(element["value"]).choice
    assert status == 200, status
    return Click(decode(element["value"]).node, answer_value(value), message)


def changed(fake: FakeSlack, message: Message) -> bool:
    now = fake.messages.get((message.channel, message.ts))
    return now is not None and now != message


async def answered_or_told(user: SlackUser, click: Click, told_before: int) -> str:
    """Wait for the click's outcome: "answered" (the message moved on) or "try again" (a new notice)."""
    fake = user.h.fake
    await fake.wait_for(lambda: changed(fake, click.message) or try_agains(fake, user.id) > told_before, HANG)
    return "answered" if changed(fake, click.message) else "try again"


async def attempt(user: SlackUser, message: Message | None = None) -> tuple[Click, str]:
    """Press the living question's first answer, and what came of it: "answered" or "try again"."""
    told = try_agains(user.h.fake, user.id)  # counted before the click: its notice may beat the ack back
    click = await press(user, message)
    return click, await answered_or_told(user, click, told)


RETRIES = 5  # once the fault is over, a user told "try again" once more tries again, at most this often


async def answer_until_taken(user: SlackUser, clicked: list[tuple[str, object]], after: str) -> int:
    """Press the living question until the answer is taken (at most RETRIES presses), note it in
    `clicked`, and return how many presses were refused first."""
    refused = 0
    for _ in range(RETRIES):
        click, result = await attempt(user)
        if result == "answered":
            clicked.append((click.node, click.value))
            return refused
        refused += 1
    raise AssertionError(f"{user.id} still told to try again {RETRIES} times {after}")


async def terminal_session(redis_url: str, prefix: str, user: str) -> Session:
    """The terminal user's one check, read back from the private Redis the chat wrote to."""
    from bot.stores.redis import RedisStore

    store = RedisStore(redis_url, prefix=prefix)
    try:
        (stored,) = await store.sessions_of(f"terminal:{user}")
    finally:
        await store.close()
    return stored


def answers_of(session: Session) -> list[tuple[str, object]]:
    return [(a.node, answer_value(a.value)) for a in session.answers]


async def the_session(store, user_id: str) -> Session:
    (session,) = await store.sessions_of(f"slack:{TEAM}:{user_id}")
    return session


def is_result(message: Message) -> bool:
    return any(b["type"] == "header" and b["text"]["text"].startswith("Recommendation:") for b in message.blocks)


def question_number(message: Message) -> int:
    found = re.search(r"question (\d+) of about", json.dumps(message.blocks))
    return int(found.group(1)) if found else 0


# --- `outsource-check chat` in a subprocess, line by line -------------------------------------------

REPLY_DONE = re.compile(r"(q = quit(?: and resume later)?\)|^! [^\n]*|^Saved\. [^\n]*)\n\n?\Z", re.MULTILINE)
QUESTION = re.compile(r"\[question (\d+) of about \d+\]|RECOMMENDATION:")
CHAT_TRY_AGAIN = re.compile(re.escape(f"! {TRY_AGAIN}"))
QUESTION_OR_TRY_AGAIN = re.compile(f"{QUESTION.pattern}|{CHAT_TRY_AGAIN.pattern}")


class Chat:
    """`outsource-check chat` with piped stdin: type a line, read what it printed for that line."""

    def __init__(self, store: str, user: str, env: dict | None = None) -> None:
        self.store, self.user, self.extra = store, user, env or {}
        self.out = ""
        self.err = ""
        self.process: asyncio.subprocess.Process | None = None
        self._err_task: asyncio.Task | None = None

    async def start(self) -> str:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "adapters.cli", "chat", "--store", self.store,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=process_env(USER=self.user, LOGNAME=self.user, **self.extra), cwd=ROOT,
        )
        self._err_task = asyncio.create_task(self._drain_err())
        return await self._until(0, QUESTION)

    async def _drain_err(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        while chunk := await self.process.stderr.read(65536):
            self.err += chunk.decode("utf-8", "replace")

    async def _until(self, start: int, pattern: re.Pattern) -> str:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + HANG
        for _ in range(10_000):
            if pattern.search(self.out, start) and REPLY_DONE.search(self.out, start):
                return self.out[start:]
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"chat printed no {pattern.pattern!r}: {self.out[start:][-800:]!r}"
            try:
                chunk = await asyncio.wait_for(self.process.stdout.read(65536), remaining)
            except TimeoutError:
                raise AssertionError(f"chat printed no {pattern.pattern!r}: {self.out[start:][-800:]!r}") from None
            assert chunk, f"chat exited ({self.process.returncode}): {self.out[start:][-800:]!r} {self.err[-800:]!r}"
            self.out += chunk.decode("utf-8", "replace")
        raise AssertionError("chat never finished its reply")

    async def say(self, line: str, expect: re.Pattern = QUESTION) -> str:
        """Type `line`; what the chat printed for it (once `expect` appears in it, and the reply is whole)."""
        assert self.process is not None and self.process.stdin is not None
        start = len(self.out)
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()
        await self._until(start, re.compile(re.escape(f"> {line}")))
        echo = self.out.index(f"> {line}", start)
        return await self._until(echo, expect)

    async def quit(self) -> int:
        await self.say("q", re.compile(r"^Saved\. ", re.MULTILINE))
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), HANG)
        if self._err_task is not None:
            await asyncio.wait_for(self._err_task, HANG)
        return code

    async def close(self) -> None:
        """Kill it if it still runs (a test that failed half-way), and reap it."""
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.kill()
        await asyncio.wait_for(self.process.wait(), HANG)
        if self._err_task is not None:
            await asyncio.wait_for(self._err_task, HANG)
