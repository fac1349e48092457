"""Budget plans, thresholds and alert targets in the config file: strict, clear errors."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from spendtui.budgets.config import budget_settings, parse_budget_settings
from spendtui.cli import main
from spendtui.cli.common import load_checked_config as load_config  # budgets are checked where commands load
from spendtui.config import Overrides
from spendtui.errors import ConfigError
from spendtui.money import PICO

README_EXAMPLE = """
smtp:
  host: smtp.example.com
  from: spendtui@example.com
alert_thresholds: [0.8, 1.0]
budget_alerts:
  - threshold: 0.8
    webhook: os.environ/SLACK_WEBHOOK_URL
    email: finance@example.com
  - threshold: 1.0
    webhook: https://hooks.slack.com/services/T000/B000/XXXX
  - threshold: soft
    webhook: https://chat.example.com/hooks/abc
budgets:
  - name: company quarterly
    period: quarterly
    amounts: {Q1: 500, Q2: 750, Q3: 600, Q4: 1000}
  - name: web-app monthly
    tag: project:web-app
    amount: 200
    period: monthly
    thresholds: [0.5, 0.8, 1.0]
    alerts:
      - threshold: 0.5
        webhook: https://example.com/hooks/web
  - name: launch
    team: [Web, Mobile]
    model: gpt-4o
    amount: "$1,500"
    start: 2026-11-01
    end: 2026-12-15
  - litellm: team:Alpha
    thresholds: ["50%", "90%", 1]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_readme_example(tmp_path: Path) -> None:
    path = write(tmp_path, README_EXAMPLE)
    env = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T1/B1/secret"}
    config = load_config(Overrides(config_path=str(path)), env=env)
    assert not config.warnings
    settings = budget_settings(config, env)
    assert [t.key for t in settings.thresholds] == ["0.8", "1"]
    assert [(a.threshold.key, a.webhook, a.email, a.where) for a in settings.alerts] == [
        ("0.8", "https://hooks.slack.com/services/T1/B1/secret", None, "budget_alerts[0]"),
        ("0.8", None, "finance@example.com", "budget_alerts[0]"),
        ("1", "https://hooks.slack.com/services/T000/B000/XXXX", None, "budget_alerts[1]"),
        ("soft", "https://chat.example.com/hooks/abc", None, "budget_alerts[2]"),
    ]
    assert settings.smtp is not None and (settings.smtp.host, settings.smtp.port) == ("smtp.example.com", 587)
    quarterly, web, launch = settings.plans
    assert quarterly.period == "quarterly" and quarterly.amount is None
    assert quarterly.amounts == {"Q1": 500 * PICO, "Q2": 750 * PICO, "Q3": 600 * PICO, "Q4": 1000 * PICO}
    assert web.scope == (("tag", ("project:web-app",)),) and web.amount == 200 * PICO
    assert [t.key for t in web.thresholds or ()] == ["0.5", "0.8", "1"]
    assert [a.webhook for a in web.alerts] == ["https://example.com/hooks/web"]
    assert launch.scope == (("team", ("Web", "Mobile")), ("model", ("gpt-4o",)))
    assert launch.amount == 1500 * PICO and launch.period is None and str(launch.end) == "2026-12-15"
    [alpha] = settings.overrides
    assert (alpha.kind, alpha.ref) == ("team", "Alpha")
    assert [t.fraction for t in alpha.thresholds or ()] == [Decimal("0.5"), Decimal("0.9"), Decimal(1)]
    assert settings.override_for("team", "team-alpha", "Alpha") is alpha
    assert len(settings.webhooks) == 4 and settings.emails == ["finance@example.com"]


def test_defaults_and_alert_thresholds_join_the_global_ones() -> None:
    assert [t.label for t in parse_budget_settings({}).thresholds] == ["80%", "100%"]
    settings = parse_budget_settings({"budget_alerts": [{"threshold": 0.95, "webhook": "http://127.0.0.1:9/x"}]})
    assert [t.label for t in settings.thresholds] == ["80%", "95%", "100%"]


def test_raw_keys_in_a_scope_are_hashed_at_once() -> None:
    raw = "sk-live-1234567890abcdef"
    settings = parse_budget_settings({"budgets": [{"name": "k", "key": raw, "amount": 1, "period": "daily"}]})
    assert settings.plans[0].scope == (("key", (hashlib.sha256(raw.encode()).hexdigest(),)),)
    assert raw not in repr(settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("budgets: {a: 1}", "budgets: expected list"),
        ("budgets: [{amount: 5, period: monthly}]", "budgets[0]: a budget plan needs a name"),
        ("budgets: [{name: x, amount: 5}]", "budgets[0]: needs a period"),
        ("budgets: [{name: x, amount: 5, period: fortnightly}]", "budgets[0].period: expected one of daily"),
        ("budgets: [{name: x, amount: -5, period: daily}]", "budgets[0].amount: must be between 0"),
        ("budgets: [{name: x, amount: lots, period: daily}]", "budgets[0].amount: expected an amount in USD"),
        ("budgets: [{name: x, period: daily}]", "budgets[0]: needs an amount"),
        ("budgets: [{name: x, amount: 5, period: daily, colour: red}]", "budgets[0].colour: unknown setting"),
        ("budgets: [{name: x, amount: 5, period: daily, start: 2026-01-01}]", "either a period or start/end"),
        (
            "budgets: [{name: x, amount: 5, start: 2026-02-01, end: 2026-01-01}]",
            "budgets[0].end: 2026-01-01 is before",
        ),
        (
            "budgets: [{name: x, amount: 5, start: someday, end: 2026-01-01}]",
            "budgets[0].start: expected a date",
        ),
        ("budgets: [{name: x, amounts: {Q1: 5}, period: monthly}]", "budgets[0].amounts.Q1: unknown monthly"),
        (
            "budgets: [{name: x, amounts: {Q5: 5}, period: quarterly}]",
            "budgets[0].amounts.Q5: unknown quarterly",
        ),
        (
            "budgets: [{name: x, amounts: {jan: 5}, period: daily}]",
            "budgets[0].amounts: amounts per period need",
        ),
        (
            "budgets: [{name: x, amount: 1, period: daily}, {name: x, amount: 2, period: daily}]",
            "already named",
        ),
        (
            "budgets: [{name: x, amount: 1, period: daily, thresholds: [80]}]",
            "budgets[0].thresholds[0]: 80 is a",
        ),
        (
            "budgets: [{name: x, amount: 1, period: daily, thresholds: 0.8}]",
            "budgets[0].thresholds: expected a list",
        ),
        ("budgets: [{litellm: group:x, thresholds: [0.5]}]", "budgets[0].litellm: expected KIND:ID_OR_NAME"),
        ("budgets: [{litellm: key:x}]", "budgets[0]: a LiteLLM budget entry sets thresholds"),
        ("budgets: [{litellm: key:x, amount: 5}]", "budgets[0].amount: unknown setting"),
        ("alert_thresholds: [0.8, '1O%']", "alert_thresholds[1]: expected a fraction"),
        ("alert_thresholds: [soft]", "alert_thresholds[0]: 'soft' is only allowed in budget_alerts"),
        ("budget_alerts: [{webhook: 'https://x.example/h'}]", "budget_alerts[0]: needs a threshold"),
        ("budget_alerts: [{threshold: 0.8}]", "budget_alerts[0]: needs a webhook URL or an email address"),
        ("budget_alerts: [{threshold: 0.8, webhook: os.environ/NOPE_NOT_SET}]", "NOPE_NOT_SET is not set"),
        (
            "budget_alerts: [{threshold: 0.8, webhook: 'ftp://x/y'}]",
            "budget_alerts[0].webhook: must be an http",
        ),
        (
            "budget_alerts: [{threshold: 0.8, webhook: 'https://x.example/h', to: me}]",
            "budget_alerts[0].to: unknown",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(Overrides(config_path=str(path)), env={})
    message = str(err.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert "\n" not in message


def test_bad_webhook_is_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "hooks.slack.com/services/T9/B9/very-secret-token"
    path = write(tmp_path, f"budget_alerts: [{{threshold: 0.8, webhook: '{secret}'}}]")
    assert main(["check", "--config", str(path), "--db", "sqlite:///nowhere.db"]) == 2
    err = capsys.readouterr().err
    assert "budget_alerts[0].webhook" in err and "very-secret-token" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("budgets: [{name: x, amout: 5, period: daily}]", "budgets[0].amout", "did you mean `amount`?"),
        ("budgets: [{name: x, amount: 5, perod: daily}]", "budgets[0].perod", "did you mean `period`?"),
        ("budgets: [{litellm: 'key:x', threshold: [0.5]}]", "budgets[0].threshold", "did you mean `thresholds`?"),
        ("budgets: [{litellm: 'key:x', amount: 5}]", "budgets[0].amount", "It is a budget plan's setting"),
        ("budget_alerts: [{threshold: 0.8, webhok: 'https://x.example/h'}]", "budget_alerts[0].webhok", "`webhook`"),
    ],
)
def test_misspelled_budget_keys_get_a_suggestion(tmp_path: Path, text: str, key: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(Overrides(config_path=str(path)), env={})
    message = str(err.value)
    assert message.startswith(f"{path}: {key}: unknown setting") and expected in message, message
    assert "\n" not in message
