"""A store outage for the adapter tests: while it lasts, every call the core makes raises
StoreUnavailable, as a Redis that went away or an SQLite file that broke does (bot/stores/base.py),
and nothing is written; afterwards the store is back as it was.

It replaces the store's public methods on the one instance, so it holds for any backend and
whatever the backend does inside. `refused` lists the calls it turned away: a test asserts the
store was really asked, so a path that never touches the store does not pass for the wrong reason.
"""

from __future__ import annotations

from bot.stores.base import SessionStore, StoreUnavailable

METHODS = (
    "load", "save", "sessions_of", "forget", "purge_expired",
    "load_round", "save_round", "rounds_of", "delete_round", "first_time",
    "schedule", "cancel", "claim_due", "done", "setting", "set_setting",
)


class Outage:
    """`with Outage(store):` every method down; `Outage(store, "load", "save")`: only those (a store
    that goes away in the middle of a turn, after its first calls were answered)."""

    def __init__(self, store: SessionStore, *methods: str) -> None:
        assert set(methods) <= set(METHODS), methods
        self.store = store
        self.methods = methods or METHODS
        self.refused: list[str] = []

    def __enter__(self) -> Outage:
        for name in self.methods:
            setattr(self.store, name, self._down(name))
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.methods:
            delattr(self.store, name)  # the class's own methods again: the store is back

    def _down(self, name: str):
        async def down(*args: object, **kwargs: object) -> object:
            self.refused.append(name)
            raise StoreUnavailable(f"connection refused ({name}, a test outage)")

        return down
