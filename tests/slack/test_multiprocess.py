"""Two real `outsource-check slack` processes in HTTP mode sharing one Redis, as behind a load balancer."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys

import aiohttp
import pytest

from bot.stores.redis import RedisStore
from tests.conftest import ROOT
from tests.slack.conftest import SECRET, Harness
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_conversation import answer_buttons, answer_current, is_result

REDIS_DB_URL = os.environ.get("OUTSOURCE_CHECK_TEST_REDIS_MULTI", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_healthy(port: int, process: subprocess.Popen) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the bot process did not come up")


@pytest.fixture
async def two_processes(tmp_path):
    fake = await FakeSlack().start()
    store = RedisStore(REDIS_DB_URL)
    await store._redis.flushdb()
    ports = [free_port(), free_port()]
    metrics_ports = [free_port(), free_port()]
    base = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "HOST": "127.0.0.1",
        "OUTSOURCE_CHECK_STORE": REDIS_DB_URL,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "slack"],
            env={**base, "PORT": str(port), "METRICS_PORT": str(metrics)},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"bot{port}.log", "w"),  # noqa: SIM115 - closed with the process
        )
        for port, metrics in zip(ports, metrics_ports, strict=True)
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            await wait_healthy(port, process)
        harnesses = [Harness(fake, f"http://127.0.0.1:{port}/slack/events", None) for port in ports]
        yield fake, harnesses, store, processes, metrics_ports
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = [process.wait(30) for process in processes]
        await store._redis.flushdb()
        await store.close()
        await fake.stop()
    assert codes == [0, 0], "SIGTERM ends each process cleanly"
    for port in ports:
        lines = [json.loads(line) for line in (tmp_path / f"bot{port}.log").read_text().splitlines() if line.strip()]
        assert lines and all({"time", "level", "logger", "turn", "message"} <= set(line) for line in lines)
        text = json.dumps(lines)
        assert "xoxb-test" not in text and SECRET not in text, "no tokens or secrets in the logs"


async def test_clicks_alternate_between_processes_and_a_doubled_click_counts_once(two_processes) -> None:
    fake, (first, second), store, _, metrics_ports = two_processes
    on = [first.user("U0ANN"), second.user("U0ANN")]
    await on[0].command()
    await fake.wait_for(lambda: fake.named("chat.update"))
    turn = 0
    raced = False
    while not is_result(on[0].living()):
        user = on[turn % 2]
        message = user.living()
        if not raced and answer_buttons(message) and not any(b.get("block_id") == "picks" for b in message.blocks):
            # the same click, delivered to both processes at once
            (session,) = await store.sessions_of("slack:T1:U0ANN")
            label = answer_buttons(message)[0]["text"]["text"]
            block, element = user.find(message, label)
            payload = user.block_actions(message, block, element)
            results = await asyncio.gather(first.interaction(payload), second.interaction(payload))
            assert [status for status, _ in results] == [200, 200]
            await user.until_changed(message)
            await fake.wait_for(lambda: any("already answered" in e.get("text", "") for e in fake.ephemerals))
            (after,) = await store.sessions_of("slack:T1:U0ANN")
            assert len(after.answers) == len(session.answers) + 1 and after.version == session.version + 1
            raced = True
        else:
            await answer_current(user)
        turn += 1
    assert raced
    (final,) = await store.sessions_of("slack:T1:U0ANN")
    assert final.finished and final.outcome
    card = json.dumps(on[0].living().blocks)
    assert "Recommendation:" in card
    assert sum("already answered" in e.get("text", "") for e in fake.ephemerals) == 1
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{metrics_ports[0]}/readyz") as response:
            assert response.status == 200
        async with session.get(f"http://127.0.0.1:{metrics_ports[0]}/metrics") as response:
            metrics = await response.text()
    for name in ("outsource_check_turns_total", "outsource_check_ack_seconds_bucket", "outsource_check_checks_started_total"):
        assert name in metrics
