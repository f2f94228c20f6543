"""Two real `outsource-check slack` processes in HTTP mode sharing one Redis, as behind a load balancer.

They run on the tests' Redis (OUTSOURCE_CHECK_TEST_REDIS) under a key prefix of this test's own
(`python -m bench.keyspace PREFIX slack`), and only those keys are deleted afterwards, so test
runs can share the server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid

import aiohttp
import pytest

from bench import keyspace
from bot.stores.redis import RedisStore
from tests.conftest import REDIS_URL, ROOT
from tests.slack.conftest import SECRET, Harness
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_conversation import answer_buttons, answer_current, is_result


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
    store = RedisStore(REDIS_URL, prefix=keyspace.run_prefix("multiprocess", kind="test"))
    ports = [free_port(), free_port()]
    metrics_ports = [free_port(), free_port()]
    base = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "HOST": "127.0.0.1",
        "OUTSOURCE_CHECK_STORE": REDIS_URL,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, *keyspace.cli_args(store._p, "slack")],
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
        await keyspace.close_store(store)
        await fake.stop()
    assert codes == [0, 0], "SIGTERM ends each process cleanly"
    for port in ports:
        lines = [json.loads(line) for line in (tmp_path / f"bot{port}.log").read_text().splitlines() if line.strip()]
        assert lines and all({"time", "level", "logger", "turn", "message"} <= set(line) for line in lines)
        text = json.dumps(lines)
        assert "xoxb-test" not in text and SECRET not in text, "no tokens or secrets in the logs"


async def test_clicks_alternate_between_processes_and_a_doubled_click_counts_once(two_processes) -> None:
    fake, (first, second), store, _, metrics_ports = two_processes
    ann = f"U0ANN{uuid.uuid4().hex[:8].upper()}"  # a user of this run alone
    on = [first.user(ann), second.user(ann)]
    await on[0].command()
    await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))  # the check is on screen
    turn = 0
    raced = False
    while not is_result(on[0].living()):
        user = on[turn % 2]
        message = user.living()
        if not raced and answer_buttons(message) and not any(b.get("block_id") == "picks" for b in message.blocks):
            # the same button pressed twice (two payloads, as Slack sends a double click), one press to each process at once;
            # byte-identical requests would be a replay, which never reaches the store (test_http_requests.py)
            (session,) = await store.sessions_of(f"slack:T1:{ann}")
            label = answer_buttons(message)[0]["text"]["text"]
            block, element = user.find(message, label)
            presses = [user.block_actions(message, block, element) for _ in range(2)]
            results = await asyncio.gather(first.interaction(presses[0]), second.interaction(presses[1]))
            assert [status for status, _ in results] == [200, 200]
            await user.until_changed(message)
            await fake.wait_for(lambda: any("already answered" in e.get("text", "") for e in fake.ephemerals))
            (after,) = await store.sessions_of(f"slack:T1:{ann}")
            assert len(after.answers) == len(session.answers) + 1 and after.version == session.version + 1
            raced = True
        else:
            await answer_current(user)
        turn += 1
    assert raced
    (final,) = await store.sessions_of(f"slack:T1:{ann}")
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


async def test_a_replayed_command_sent_to_both_processes_starts_one_check(two_processes) -> None:
    """The captured request goes to each process twice, all at once: Redis tells every process it was taken."""
    from tests.slack.test_http_requests import dm_posts, send, settle, signed

    fake, harnesses, store, _, _ = two_processes
    ann = f"U0ANN{uuid.uuid4().hex[:8].upper()}"
    body = harnesses[0].user(ann).command_body().encode()
    sent = signed(body)
    statuses = await asyncio.gather(*(send(h.url, body, sent) for h in harnesses for _ in range(2)))
    assert statuses == [200] * 4
    await fake.wait_for(lambda: dm_posts(fake, ann))
    for harness in harnesses:
        await settle(harness, ann)
    assert len(dm_posts(fake, ann)) == 1
    assert len(await store.sessions_of(f"slack:T1:{ann}")) == 1
