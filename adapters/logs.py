"""Logging for the bot processes: readable on a terminal, one JSON object per line elsewhere.

Every line of a turn carries the same correlation id, so one click can be followed across the
adapter and the core. Only ids, error codes and counts are ever logged: never tokens, signing
secrets or anything a user typed.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid

TURN = contextvars.ContextVar("turn", default="-")


def new_turn() -> str:
    """Start a turn: every log line from here (and from tasks it starts) carries this id."""
    turn = uuid.uuid4().hex[:12]
    TURN.set(turn)
    return turn


class _TurnFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.turn = TURN.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "turn": getattr(record, "turn", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, stream=None) -> None:
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(_TurnFilter())
    if stream.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(turn)s] %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
