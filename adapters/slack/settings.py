"""Slack settings, read from the environment only (never from files or arguments)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://slack.com/api/"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is the one line shown at start-up."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    app_token: str
    api_url: str
    port: int
    host: str = "0.0.0.0"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)


def read_settings(environ: Mapping[str, str] | None = None) -> SlackSettings:
    env = os.environ if environ is None else environ
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    app_token = env.get("SLACK_APP_TOKEN", "").strip()
    secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    if not bot_token:
        raise SettingsError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your app's OAuth page")
    if not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (or unset for HTTP mode)")
    if not app_token and not secret:
        raise SettingsError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it (Basic Information > Signing Secret)")
    port_text = env.get("PORT", "3000").strip() or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"PORT must be a port number, not {port_text!r}")
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    return SlackSettings(
        bot_token=bot_token,
        signing_secret=secret,
        app_token=app_token,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        port=int(port_text),
        host=env.get("HOST", "").strip() or "0.0.0.0",
    )
