"""A real Redis goes away and comes back: users are told to try again, and nothing is half-written."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bot.conversation.events import Answer, Event, Start
from bot.conversation.replies import Notice, Question
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores.redis import RedisStore
from tests.helpers import small_dialog


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server that writes every change to disk, so a restart keeps the data."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run 'bash scripts/test', which installs it")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
async def server(tmp_path: Path):
    redis = RedisServer(tmp_path)
    redis.start()
    yield redis
    if redis.process and redis.process.poll() is None:
        redis.kill()


async def test_a_store_outage_is_survived(server: RedisServer) -> None:
    store = RedisStore(f"redis://127.0.0.1:{server.port}/0", timeout=1.0)
    service = ConversationService(catalog=Catalog.of(small_dialog()), store=store)
    user = "slack:T1:U0ANN"
    (question,) = await service.handle(Event(user, Start("small")))
    (question,) = await service.handle(Event(user, Answer(question.session_id, question.node, "two", question.version)))
    before = await store.load(question.session_id)

    server.kill()
    for action in (Answer(question.session_id, question.node, "Corner Cafe", question.version), Start("small")):
        (notice,) = await service.handle(Event(user, action))
        assert isinstance(notice, Notice) and notice.kind == "unavailable"
        assert "try again in a moment" in notice.text

    server.start()  # same port, same data folder
    assert await store.load(question.session_id) == before, "nothing was half-written during the outage"
    (after,) = await service.handle(Event(user, Answer(question.session_id, question.node, "Corner Cafe", question.version)))
    assert isinstance(after, Question) and after.node == "channels"
    await store.close()
