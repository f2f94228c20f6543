"""Shared fixtures, and a guard: no test may open a connection beyond this machine."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("OUTSOURCE_CHECK_TEST_REDIS", "redis://127.0.0.1:6379/15")
DIALOGS = ROOT / "dialogs"
SEEDS = ROOT.parent / "shared" / "seeds"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address: object) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return
        try:
            if ipaddress.ip_address(host.split("%")[0]).is_loopback:
                return
        except ValueError:
            pass
        raise OSError(f"tests may only connect to loopback addresses, not {host!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _loopback_only(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _loopback_only(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings come only from the environment, so tests start from a known one (as bolt's do)."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "DISCORD_", "OUTSOURCE_CHECK_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTSOURCE_CHECK_DATA", str(tmp_path / "data"))


async def redis_store(clock=None, **options):
    """A RedisStore on the test Redis under a fresh key prefix, so tests never see each other's keys."""
    from bot.stores.redis import RedisStore

    kwargs = {"clock": clock} if clock is not None else {}
    # These tests check what the store does, not how fast a busy machine connects: the product's 2 s
    # (Slack's 3 s ack leaves Redis that much) once ran out while twenty saves raced on new
    # connections with the suite beside other work. The outage tests set their own timeouts.
    options.setdefault("timeout", 10.0)
    store = RedisStore(REDIS_URL, prefix=f"oc-test-{uuid.uuid4().hex[:10]}:", **kwargs, **options)
    try:
        await store.ping()
    except Exception as exc:  # a clear message beats a wall of connection errors
        await store.close()
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}): run 'bash scripts/test', which starts one, or set OUTSOURCE_CHECK_TEST_REDIS")
    return store


async def drop_redis_keys(store) -> None:
    keys = [k async for k in store._redis.scan_iter(match=f"{store._p}*")]
    if keys:
        await store._redis.delete(*keys)
    await store.close()


async def make_store(kind: str, tmp_path: Path, clock=None, **options):
    from bot.stores import MemoryStore, SqliteStore

    kwargs = {"clock": clock} if clock is not None else {}
    if kind == "memory":
        return MemoryStore(**kwargs, **options)
    if kind == "sqlite":
        return SqliteStore(tmp_path / "store.sqlite3", **kwargs, **options)
    return await redis_store(clock, **options)


async def close_store(kind: str, store) -> None:
    if kind == "redis":
        await drop_redis_keys(store)
    else:
        await store.close()


STORE_KINDS = ["memory", "sqlite", "redis"]
