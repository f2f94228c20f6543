"""Prometheus metrics of the core: turns, checks started and finished, errors.

Counted where they happen (the service), so every adapter reports the same figures; the ops
server in adapters/ops.py exposes them.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TURNS = Counter("outsource_check_turns_total", "Events handled by the core", ["action"])
STARTED = Counter("outsource_check_checks_started_total", "Checks started", ["dialog"])
FINISHED = Counter("outsource_check_checks_finished_total", "Checks finished", ["dialog", "outcome"])
ERRORS = Counter("outsource_check_errors_total", "Turns that could not be completed", ["kind"])
ACK_SECONDS = Histogram(
    "outsource_check_ack_seconds",
    "Time from a platform request's arrival to its acknowledgement",
    ["platform"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
