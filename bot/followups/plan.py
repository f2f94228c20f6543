"""When each follow-up is due, and the job that carries it (the rules are in docs/teams.md, "Follow-ups").

- **Reminder** `remind:ROUND`: a round opened with a deadline is reminded about at the deadline less
  a lead time: an hour, or a quarter of the time from the opening to the deadline when that is
  less (a 30-minute round is reminded about 7.5 minutes before it reveals).
- **Nudge** `nudge:SESSION`: a check started or answered and still unfinished is nudged about
  once it has been quiet (unanswered) for `nudge_after` seconds (24 hours by default,
  `OUTSOURCE_CHECK_NUDGE_AFTER`, or the workspace's own); the job is written once, at the start, and
  re-arms itself when it falls due (service.py `_nudge`).
- **Review** `review:ROUND`: a closed round's decision is reviewed on its review date: the end of
  the engagement the decided outcome names (`review_after`, in days, in the dialog), else 90 days.
"""

from __future__ import annotations

import re

from bot.followups.jobs import Job

HOUR = 3600.0
DAY = 86400.0
REMIND = "remind"
NUDGE = "nudge"
REVIEW = "review"
REMIND_LEAD = HOUR  # at most this long before the deadline
REVIEW_AFTER_DAYS = 90  # when the decided outcome names no engagement of its own
DEFAULT_NUDGE_AFTER = 24 * HOUR
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d)?")
_UNIT = {"s": 1.0, "m": 60.0, "h": HOUR, "d": DAY}


def key(kind: str, about: str) -> str:
    return f"{kind}:{about}"


def about(job: Job) -> str:
    """The round or session a job is about (the part of its key after the kind)."""
    return job.key.partition(":")[2]


def remind_at(opened: float, deadline: float) -> float:
    """The deadline less the lead: an hour, or a quarter of the round's time when that is shorter."""
    return deadline - min(REMIND_LEAD, max(0.0, deadline - opened) / 4)


def review_at(closed: float, review_after_days: int) -> float:
    return closed + (review_after_days if review_after_days > 0 else REVIEW_AFTER_DAYS) * DAY


def workspace_of(user: str) -> str:
    """The workspace a user belongs to, for its settings: "slack:T123" for "slack:T123:U456"; "" where
    the platform has none a follow-up could belong to (a Discord DM is no server's)."""
    platform, _, rest = user.partition(":")
    team, _, member = rest.partition(":")
    return f"{platform}:{team}" if platform == "slack" and team and member else ""


def nudge_setting_key(workspace: str) -> str:
    return f"{workspace}:nudge_after"


def describe_delay(seconds: float | None) -> str:
    """24h, 30m, 2d, 90s; "off"."""
    if seconds is None:
        return "off"
    for unit, size in (("d", DAY), ("h", HOUR), ("m", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parse_nudge_after(text: str) -> float | None:
    """`OUTSOURCE_CHECK_NUDGE_AFTER`: "24h", "30m", "2d", "90s" or plain seconds ("3600"); "off" (or
    "0", "none", "never") switches nudges off (None). Anything else is a ValueError."""
    cleaned = text.strip().lower()
    if cleaned in {"off", "none", "never", "no", "false", "0"}:
        return None
    match = _DURATION.fullmatch(cleaned)
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"a nudge delay is like 24h, 30m, 2d or off, not {text[:40]!r}")
    return float(match[1]) * _UNIT[match[2] or "s"]
