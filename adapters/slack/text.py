"""Making core text safe for Slack.

Core text is plain. Shown as `plain_text` it is already harmless; anything that goes into
`mrkdwn` (and every message's fallback `text`, which Slack parses as mrkdwn) must have `&`, `<`
and `>` escaped, which is exactly what turns `<!channel>` or `<@U123>` into inert text.
"""

from __future__ import annotations

from adapters.common.text import clip  # noqa: F401  (re-exported: this platform's text helpers in one place)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = 3000) -> dict[str, object]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = 3000) -> dict[str, object]:
    """`text` must already be escaped where it holds core or user text."""
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}
