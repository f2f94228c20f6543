"""The bots' process settings: start-up objects leave the collector's sight, cycles are still collected."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import gc
from adapters.runtime import settle_after_start_up
import adapters.slack.app, adapters.discord.client  # what a bot has built by the time it serves
settle_after_start_up()
assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a reference cycle made after start-up
del a, b
assert gc.collect() >= 2, "cycles made while serving are still collected"
print("ok")
"""


def test_settling_freezes_start_up_objects_and_still_collects_cycles() -> None:
    # a process of its own: freezing is for the whole process and would leak into the other tests
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
