"""Wrong settings stop the process with one clear line per bad field and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def run_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_bad_settings_exit_2_with_one_line_each() -> None:
    result = run_bot(
        {
            "BOT_TOKEN": "nonsense",
            "WEBHOOK_PORT": "eighty",
            "DEFAULT_TIMEZONE": "Mars/Olympus",
            "OPERATOR_IDS": "12,abc",
        },
        "content",
        "check",
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Configuration error:"
    fields = sorted(line.split(":")[0].strip() for line in lines[1:])
    assert fields == ["BOT_TOKEN", "DEFAULT_TIMEZONE", "OPERATOR_IDS", "WEBHOOK_PORT"]


def test_good_settings_parse_operator_ids_and_defaults() -> None:
    settings = load_settings(_env_file=None, OPERATOR_IDS="1, 2 ,3")
    assert frozenset({1, 2, 3}) == settings.OPERATOR_IDS
    assert settings.sandbox and settings.BROADCAST_RATE == 30


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("WEBHOOK_URL", "http://insecure.example.com/hook"),
        ("WEBHOOK_SECRET", "has spaces"),
        ("BROADCAST_RATE", "500"),  # above 30 without PAID_BROADCAST
        ("LOG_LEVEL", "chatty"),
        ("CONTENT_DIR", "/no/such/dir"),
    ],
)
def test_each_bad_value_is_named(field: str, value: str) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None, **{field: value})
    assert "Traceback" not in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_content_check_and_feedback_cli_contract() -> None:
    ok = run_bot({}, "content", "check")
    assert ok.returncode == 0 and "content OK" in ok.stdout
    feedback = subprocess.run(
        [sys.executable, "-m", "bot", "feedback", "--jsonl"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        input='{"tool": "shift_in", "text": "I felt betrayed"}\n{"tool": "nope"}\n',
    )
    lines = feedback.stdout.strip().splitlines()
    import json

    first = json.loads(lines[0])
    assert first["verdict"] == "needs_work"
    assert any(f["suggestion"] == "hurt" for f in first["findings"])
    assert set(first) == {"tool", "text", "verdict", "findings", "reply"}
    assert "error" in json.loads(lines[1])
    assert feedback.returncode == 1
