"""A store that cannot be used stops start-up with one clear line; one that breaks mid-conversation is a "try again".

Real files throughout: a folder or a database file made read-only (as root, whom permissions do
not stop, with the immutable attribute), a file of garbage, a real database with one page overwritten, and a Redis
port where nothing listens. Every command that serves users (`chat`, `stats`, `slack`,
`discord`) must exit 2 with one line on stderr and no traceback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord
import pytest

from adapters.discord import main as discord_main
from adapters.discord.settings import read_settings as discord_settings
from adapters.slack import main as slack_main
from adapters.slack.settings import read_settings as slack_settings
from bot.conversation.events import Answer, Event, Forget, Resume, ShowHistory, Start
from bot.conversation.replies import Notice, Question
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import SqliteStore, StoreUnavailable, checked, open_store
from bot.words import TRY_AGAIN
from tests.conftest import ROOT
from tests.helpers import SMALL, small_dialog

MARKER = "Marker Cafe"  # typed by the user: the page holding it is the one we damage


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _writable(target: Path) -> bool:
    if target.is_file():
        try:
            with target.open("r+b"):
                return True
        except OSError:
            return False
    probe = target / f"probe-{uuid.uuid4().hex}"
    try:
        probe.touch()
    except OSError:
        return False
    probe.unlink()
    return True


@contextlib.contextmanager
def read_only(target: Path) -> Iterator[None]:
    """Make a folder or file read-only for this process, whoever it runs as; skip (saying why) where nothing can."""
    if os.geteuid() != 0:
        mode = target.stat().st_mode
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            yield
        finally:
            target.chmod(mode)
        return
    chattr = shutil.which("chattr")
    done = chattr is not None and subprocess.run([chattr, "+i", str(target)], capture_output=True).returncode == 0
    if not done:
        pytest.skip(f"running as root and cannot make {target} read-only (chattr +i is unavailable or unsupported here)")
    try:
        if _writable(target):
            pytest.skip(f"chattr +i did not make {target} read-only on this filesystem")
        yield
    finally:
        subprocess.run([chattr, "-i", str(target)], check=True)


async def fill(path: Path, user: str = "slack:T1:UFILLED") -> str:
    """A real store file with one check in it whose typed answer is MARKER; returns the session id."""
    store = SqliteStore(path)
    service = ConversationService(catalog=Catalog.of(small_dialog()), store=store)
    (question,) = await service.handle(Event(user, Start("small")))
    (question,) = await service.handle(Event(user, Answer(question.session_id, question.node, "two", question.version)))
    (question,) = await service.handle(Event(user, Answer(question.session_id, question.node, MARKER, question.version)))
    assert isinstance(question, Question) and question.node == "channels"
    await store.close()  # the last connection: the log is written into the file and removed
    return question.session_id


def damage(path: Path, marker: bytes = MARKER.encode()) -> int:
    """Overwrite the whole page that holds `marker` with bytes no page can start with; returns its number."""
    with sqlite3.connect(path) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    data = path.read_bytes()
    offset = data.find(marker)
    assert offset > 0, "the marker is in the file"
    page = offset // page_size
    assert page > 0, "not the schema page"
    with path.open("r+b") as file:
        file.seek(page * page_size)
        file.write(bytes(range(256)) * (page_size // 256))
    return page + 1


# --- the broken stores, each with the words its one line must carry -------------------------------


@pytest.fixture(params=["read-only folder", "read-only folder, new file", "read-only file", "not a database", "damaged page",
                        "redis down"])
async def broken(request, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    kind = request.param
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "sessions.sqlite3"
    if kind == "read-only folder":
        await fill(path)
        with read_only(folder):
            yield str(path), f"cannot write the SQLite store {path}"
    elif kind == "read-only folder, new file":
        with read_only(folder):
            yield str(path), f"cannot write the SQLite store {path}"
    elif kind == "read-only file":
        await fill(path)
        with read_only(path):
            yield str(path), f"cannot write the SQLite store {path}"
    elif kind == "not a database":
        path.write_bytes(b"these are not the bytes of a database\n" * 200)
        yield str(path), f"the SQLite store {path} is not an SQLite database"
    elif kind == "damaged page":
        await fill(path)
        damage(path)
        yield str(path), f"the SQLite store {path} is damaged"
    else:
        port = free_port()
        yield f"redis://127.0.0.1:{port}/0", f"cannot reach Redis at redis://127.0.0.1:{port}/0"


def one_line(text: str) -> str:
    assert "Traceback" not in text, text
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def small_dialogs(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "small.yaml").write_text(textwrap.dedent(SMALL))
    return folder


@pytest.mark.parametrize("command", ["chat", "stats"])
async def test_the_terminal_commands_refuse_a_broken_store_in_one_line(command: str, broken, tmp_path: Path) -> None:
    spec, words = broken
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTSOURCE_CHECK_", "SLACK_", "DISCORD_"))}
    env.update(OUTSOURCE_CHECK_DIALOGS=str(small_dialogs(tmp_path / "dialogs")), OUTSOURCE_CHECK_DATA=str(tmp_path / "data"))
    extra = ["--dialog", "small"] if command == "chat" else []
    result = subprocess.run([sys.executable, "-m", "adapters.cli", command, *extra, "--store", spec], cwd=ROOT, env=env,
                            input="", capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = one_line(result.stderr)
    assert line.startswith(f"outsource-check {command}: ") and words in line, line


class SignedIn:
    """Slack's auth.test answered: start-up gets as far as the store."""

    async def auth_test(self) -> dict:
        return {"ok": True, "user": "outsource-check", "team": "Acme"}


async def test_the_slack_bot_refuses_a_broken_store_in_one_line(broken, capsys) -> None:
    spec, words = broken
    settings = slack_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert await slack_main._serve_with(settings, Catalog.of(small_dialog()), spec, SignedIn()) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("outsource-check slack: ") and words in line, line


async def test_the_discord_bot_refuses_a_broken_store_in_one_line(broken, capsys, monkeypatch) -> None:
    spec, words = broken
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)  # serve() points these at the settings
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    settings = discord_settings({"DISCORD_TOKEN": "t", "DISCORD_API_URL": "http://127.0.0.1:9/api/v10"})
    assert await discord_main.serve(settings, Catalog.of(small_dialog()), spec) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("outsource-check discord: ") and words in line, line


def test_a_bad_ttl_setting_is_one_line_too(monkeypatch) -> None:
    monkeypatch.setenv("OUTSOURCE_CHECK_SESSION_TTL", "two weeks")
    with pytest.raises(ValueError, match="OUTSOURCE_CHECK_SESSION_TTL must be a positive number of seconds, not 'two weeks'"):
        open_store("memory:")


async def test_a_healthy_store_passes_the_start_up_check(tmp_path: Path) -> None:
    await fill(tmp_path / "fine.sqlite3")
    store = await checked(open_store(str(tmp_path / "fine.sqlite3")))
    assert len(await store.sessions_of("slack:T1:UFILLED")) == 1
    await store.close()


async def test_a_failed_start_up_check_closes_the_store(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite3"
    await fill(path)
    damage(path)
    store = SqliteStore(path)  # opening reads only the schema page: the damage shows in the check
    with pytest.raises(StoreUnavailable, match="is damaged"):
        await checked(store)
    assert store._closed


# --- mid-conversation ---------------------------------------------------------------------------


async def test_a_page_damaged_while_the_bot_runs_is_a_try_again_on_every_path(tmp_path: Path) -> None:
    """The issue's case: the bot started, then the page with a user's check went bad; they got an HTTP 404."""
    path = tmp_path / "sessions.sqlite3"
    user = "slack:T1:UFILLED"
    session_id = await fill(path, user)
    damage(path)
    store = SqliteStore(path)  # as if opened before the damage: nothing of the sessions is in its cache
    service = ConversationService(catalog=Catalog.of(small_dialog()), store=store)
    for action in (Answer(session_id, "channels", ("twitter",), 3), Resume(), ShowHistory()):
        replies = await service.handle(Event(user, action))
        assert replies == [Notice("unavailable", TRY_AGAIN)], (action, replies)
    # deleting asks again, in place of the confirmation, so "try again" is one more press of Delete
    (forget,) = await service.handle(Event(user, Forget(confirmed=True)))
    assert (forget.kind, forget.text, forget.to) == ("confirm_forget", TRY_AGAIN, "here")
    await store.close()
