"""The Slack adapter: `/outsource-check` on slack-bolt, one living message per conversation."""
