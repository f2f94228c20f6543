"""Session stores, chosen by one setting: `OUTSOURCE_CHECK_STORE`."""

from __future__ import annotations

import os

from bot.stores.base import SessionStore, StoreUnavailable, data_dir, ttl_seconds
from bot.stores.memory import MemoryStore
from bot.stores.sqlite import SqliteStore

__all__ = ["MemoryStore", "SessionStore", "SqliteStore", "StoreUnavailable", "open_store"]


def open_store(spec: str | None = None) -> SessionStore:
    """`memory:`, `redis://host:port/db`, a SQLite file path, or unset for `$OUTSOURCE_CHECK_DATA/sessions.sqlite3`."""
    spec = spec if spec is not None else os.environ.get("OUTSOURCE_CHECK_STORE", "")
    if spec == "memory:":
        return MemoryStore(ttl=ttl_seconds())
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from bot.stores.redis import RedisStore

        return RedisStore(spec, ttl=ttl_seconds())
    return SqliteStore(spec or data_dir() / "sessions.sqlite3", ttl=ttl_seconds())
