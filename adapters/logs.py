"""Logging for the bot processes: readable on a terminal, one JSON object per line elsewhere.

Every line of a turn carries the same correlation id, so one click can be followed across the
adapter and the core. Only ids, error codes and counts are ever logged: never tokens, signing
secrets or anything a user typed.
"""

from __future__ import annotations

import contextvars
import logging
import random
import sys
import time

from pythonjsonlogger.json import JsonFormatter

TURN = contextvars.ContextVar("turn", default="-")


def new_turn() -> str:
    """Start a turn: every log line from here (and from tasks it starts) carries this id.

    Only told apart from other turns, never guessed at, so 48 bits from `random` serve: uuid4 reads
    the kernel's random source for every click (2.3 us against 0.3 us, issue 15's twelfth pass)."""
    turn = f"{random.getrandbits(48):012x}"
    TURN.set(turn)
    return turn


class _TurnFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.turn = TURN.get()
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line, from python-json-logger: the ecosystem's formatter (its escaping,
    exception and extra-field handling are its own), with the field names our log tooling reads."""
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(turn)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "error"},
        json_ensure_ascii=False,
    )
    formatter.converter = time.gmtime  # UTC, as the "Z" says
    formatter.default_time_format = "%Y-%m-%dT%H:%M:%S"
    formatter.default_msec_format = "%s.%03dZ"
    return formatter


def configure_logging(level: int = logging.INFO, stream=None) -> None:
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(_TurnFilter())
    if stream.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(turn)s] %(message)s"))
    else:
        handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
