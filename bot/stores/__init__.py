"""Session stores, chosen by one setting: `OUTSOURCE_CHECK_STORE`."""

from __future__ import annotations

import os

from bot.stores.base import SessionStore, StoreUnavailable, data_dir, ttl_seconds
from bot.stores.memory import MemoryStore
from bot.stores.sqlite import SqliteStore

__all__ = ["MemoryStore", "SessionStore", "SqliteStore", "StoreUnavailable", "checked", "open_store"]


def open_store(spec: str | None = None) -> SessionStore:
    """`memory:`, `redis://host:port/db`, a SQLite file path, or unset for `$OUTSOURCE_CHECK_DATA/sessions.sqlite3`.

    Raises ValueError for a malformed setting, StoreUnavailable for a SQLite file that cannot be opened.
    """
    spec = spec if spec is not None else os.environ.get("OUTSOURCE_CHECK_STORE", "")
    if spec == "memory:":
        return MemoryStore(ttl=ttl_seconds())
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from bot.stores.redis import RedisStore

        # several deployments (or test runs) may share one Redis: each keeps to its own prefix
        return RedisStore(spec, ttl=ttl_seconds(), prefix=os.environ.get("OUTSOURCE_CHECK_REDIS_PREFIX") or "oc:")
    return SqliteStore(spec or data_dir() / "sessions.sqlite3", ttl=ttl_seconds())


async def checked(store: SessionStore) -> SessionStore:
    """The store, once `check()` found it usable; otherwise it is closed and StoreUnavailable says why, in one line.

    Every command that serves users runs this at start-up: a read-only, damaged or foreign SQLite
    file, or a Redis that does not answer, stops the command before anyone talks to it.
    """
    try:
        await store.check()
    except BaseException:
        await store.close()
        raise
    return store
