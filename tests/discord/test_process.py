"""The real `outsource-check discord` process against a local fake Discord: REST and gateway."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from tests.conftest import ROOT
from tests.discord.fake_discord import FakeDiscord, snowflake, user_payload
from tests.discord.fake_gateway import FakeGateway


async def test_the_bot_process_connects_and_answers_a_dm(tmp_path) -> None:
    rest, gateway = await FakeDiscord().start(), await FakeGateway().start()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_URL": rest.base,
        "DISCORD_GATEWAY_URL": gateway.url,
        "OUTSOURCE_CHECK_STORE": str(tmp_path / "store.sqlite3"),
        "METRICS_PORT": "0",
    }
    log = open(tmp_path / "bot.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "adapters.cli", "discord"], env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        await asyncio.wait_for(gateway.until(lambda: gateway.identified), 60)
        assert gateway.identified[0]["token"] == "fake-token"
        intents = gateway.identified[0]["intents"]
        assert intents & (1 << 12), "direct messages"
        assert not intents & ((1 << 1) | (1 << 8) | (1 << 15)), "no privileged intents"
        channel = rest.dm_channel("4242")
        await gateway.dispatch(
            "MESSAGE_CREATE",
            {
                "id": snowflake(), "channel_id": channel, "author": user_payload("4242", "ann"), "content": "hi",
                "timestamp": "2026-11-23T20:00:00+00:00", "edited_timestamp": None, "tts": False, "mention_everyone": False,
                "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "type": 0,
            },
        )
        def to_channel() -> list[dict]:
            return [c.body for c in rest.calls if c.path.startswith(f"/channels/{channel}/messages") and isinstance(c.body, dict)]

        await asyncio.wait_for(rest.heard(lambda: any("question 1 of about" in str(b) for b in to_channel())), 60)
        assert all(b["allowed_mentions"] == {"parse": []} for b in to_channel() if "content" in b or "embeds" in b)
        assert "Outsource Check" in str(to_channel()[0])
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        log.close()
        await gateway.stop()
        await rest.stop()
    assert code == 0, (tmp_path / "bot.log").read_text()[-2000:]
