"""Spend rules in the config file: LiteLLM's ``slack_alerts`` as the cost-tracking guide
writes it, spendtui's own ``rules:``, and every invalid value as one ConfigError naming
the file and the key (a fuzz test holds this for random structures)."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spendtui.budgets.config import budget_settings
from spendtui.budgets.rules_config import parse_rule_settings, rule_settings
from spendtui.config import Overrides, load_config
from spendtui.core.rules import Channel, Rule, SpikeRule
from spendtui.core.thresholds import AlertTarget, Threshold
from spendtui.errors import ConfigError

SEED = """\
litellm_settings:
  budget_alerts:
    - threshold: 0.8  # 80% of budget
      email: "admin@company.com"
    - threshold: 1.0  # 100% of budget
      email: ["admin@company.com", "finance@company.com"]
      webhook: "https://hooks.slack.com/..."
  slack_alerts:
    webhook_url: "https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK"
    alerts:
      - type: "daily_spend"
        threshold: 50.0
      - type: "model_usage"
        model: "grok-code-fast-1"
        threshold: 1000
"""
SLACK = "https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK"
SECRET = "https://hooks.example.com/services/T0/B0/secret-hook"
ENV = {"HOOK": SECRET}
USD = 10**12


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def loaded(path: Path):
    return load_config(Overrides(config_path=str(path)), env={})


def test_the_guides_config_is_accepted_verbatim(tmp_path: Path) -> None:
    config = loaded(write(tmp_path, SEED))
    hook = Channel("webhook", SLACK)
    assert rule_settings(config, env={}).rules == (
        Rule(
            "litellm_settings.slack_alerts.alerts[0] daily_spend",
            "spend",
            "day",
            Fraction(50 * USD),
            (),
            (hook,),
            where="litellm_settings.slack_alerts.alerts[0]",
        ),
        Rule(
            "litellm_settings.slack_alerts.alerts[1] model_usage",
            "requests",
            "day",
            Fraction(1000),
            (("model", ("grok-code-fast-1",)),),
            (hook,),
            where="litellm_settings.slack_alerts.alerts[1]",
        ),
    )
    budgets = budget_settings(config, env={})
    # litellm_settings.budget_alerts joins budget_alerts (its email entries are another helper's)
    assert AlertTarget(
        Threshold(Decimal("1.0")), "https://hooks.slack.com/...", "litellm_settings.budget_alerts[1]"
    ) in (budgets.alerts)
    assert [t.key for t in budgets.thresholds] == ["0.8", "1"]
    assert not any("not read by spendtui" in w for w in budgets.warnings)
    assert config.warnings == ()  # (mode 0600: no warning about the literal webhooks)


def test_literal_slack_webhooks_in_a_readable_file_are_flagged(tmp_path: Path) -> None:
    path = write(tmp_path, SEED)
    path.chmod(0o644)
    (warning,) = loaded(path).warnings
    assert "litellm_settings.slack_alerts.webhook_url" in warning and "chmod 600" in warning
    assert SLACK not in warning


def test_other_litellm_settings_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "litellm_settings:\n  drop_params: true\n  success_callback: [langfuse]\n")
    config = loaded(path)
    assert rule_settings(config, env={}).rules == ()
    why = "not read by spendtui (it reads budget_alerts, slack_alerts); ignored"
    assert budget_settings(config, env={}).warnings == (
        f"{path}: litellm_settings.drop_params: {why}",
        f"{path}: litellm_settings.success_callback: {why}",
    )


def test_slack_alerts_at_the_top_level_and_under_litellm_settings(tmp_path: Path) -> None:
    block = SEED.split("  slack_alerts:\n", 1)[1]
    top = "slack_alerts:\n" + "\n".join(line[2:] for line in block.splitlines())
    config = loaded(write(tmp_path, SEED + top))
    names = [r.name for r in rule_settings(config, env={}).rules]
    assert names == [
        "slack_alerts.alerts[0] daily_spend",
        "slack_alerts.alerts[1] model_usage",
        "litellm_settings.slack_alerts.alerts[0] daily_spend",
        "litellm_settings.slack_alerts.alerts[1] model_usage",
    ]


OWN = {
    "rules": [
        {
            "name": "team spend",
            "measure": "spend",
            "scope": {"team": ["Alpha", "Beta"], "key": "sk-secret-1"},
            "period": "daily",
            "above": "$1,234.56",
            "channels": [{"webhook": "os.environ/HOOK"}, {"email": ["a@b.co", "c@d.co"]}, {"email": "a@b.co"}],
        },
        {"name": "tokens", "measure": "tokens", "period": "week", "above": 5e6},
        {"name": "errors", "measure": "failure_rate", "period": "hour", "above": "5%", "min_requests": 20},
        {"name": "fails", "measure": "failures", "period": "month", "above": 0, "scope": {"tag": "env:prod"}},
        {"name": "spike", "kind": "spike", "measure": "spend", "factor": 3, "floor": 5.0, "scope": {"model": "m"}},
        {"name": "burst", "kind": "Spike", "measure": "requests", "factor": "2.5"},
    ]
}


def test_spendtuis_own_rules() -> None:
    rules = parse_rule_settings(OWN, env=ENV).rules
    team, tokens, errors, fails, spike, burst = rules
    hashed = hashlib.sha256(b"sk-secret-1").hexdigest()
    assert team == Rule(
        "team spend",
        "spend",
        "day",
        Fraction(123456 * USD, 100),
        (("team", ("Alpha", "Beta")), ("key", (hashed,))),
        (Channel("webhook", SECRET), Channel("email", "a@b.co"), Channel("email", "c@d.co")),
        where="rules[0]",
    )
    assert (tokens.period, tokens.above) == ("week", 5_000_000)
    assert (errors.above, errors.min_requests) == (Fraction(1, 20), 20)
    assert (fails.above, fails.scope) == (0, (("tag", ("env:prod",)),))
    assert spike == SpikeRule("spike", "spend", Fraction(3), Fraction(5 * USD), (("model", ("m",)),), (), "rules[4]")
    assert (burst.kind, burst.factor, burst.floor) == ("spike", Fraction(5, 2), 0)
    assert SECRET not in repr(rules)  # webhooks are secrets
    assert parse_rule_settings(OWN, env=ENV).webhooks == [SECRET]


@pytest.mark.parametrize(
    ("rules", "where", "problem"),
    [
        (
            "rules: [{name: a, measure: spend, period: year, above: 1}]",
            "rules[0].period",
            "expected one of hour, day, week, month, got 'year'",
        ),
        (
            "rules: [{name: a, measure: cost, period: day, above: 1}]",
            "rules[0].measure",
            "expected one of spend, requests",
        ),
        ("rules: [{name: a, measure: spend, period: day}]", "rules[0]", "a threshold rule needs above"),
        ("rules: [{measure: spend, period: day, above: 1}]", "rules[0]", "a threshold rule needs name"),
        ("rules: [{name: a, measure: spend, period: day, above: -1}]", "rules[0].above", "must be between 0"),
        ("rules: [{name: a, measure: requests, period: day, above: 1.5}]", "rules[0].above", "expected a whole number"),
        (
            "rules: [{name: a, measure: failure_rate, period: day, above: 5}]",
            "rules[0].above",
            "a fraction from 0 to 1",
        ),
        (
            "rules: [{name: a, measure: failure_rate, period: day, above: 'x%'}]",
            "rules[0].above",
            "a fraction from 0 to 1",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, min_requests: 3}]",
            "rules[0].min_requests",
            "only a failure_rate",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, factor: 3}]",
            "rules[0].factor",
            "spike rule's setting",
        ),
        ("rules: [{name: a, kind: spike, measure: spend, factor: 3}]", "rules[0]", "needs a floor in USD"),
        (
            "rules: [{name: a, kind: spike, measure: tokens, factor: 3}]",
            "rules[0].measure",
            "expected one of spend, requests",
        ),
        ("rules: [{name: a, kind: spike, measure: spend, factor: 0.5, floor: 1}]", "rules[0].factor", "from 1 to 1000"),
        (
            "rules: [{name: a, kind: spike, measure: spend, factor: 3, floor: 1, period: day}]",
            "rules[0].period",
            "threshold rule's setting",
        ),
        ("rules: [{name: a, kind: burst, measure: spend}]", "rules[0].kind", "expected one of threshold, spike"),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, scope: {modle: x}}]",
            "rules[0].scope.modle",
            "did you mean `model`",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, scope: {team: []}}]",
            "rules[0].scope.team",
            "a value or a list",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, channels: {webhook: x}}]",
            "rules[0].channels",
            "expected a list",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, channels: [{}]}]",
            "rules[0].channels[0]",
            "needs a webhook URL or an email",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, channels: [{webhook: os.environ/NOPE}]}]",
            "rules[0].channels[0].webhook",
            "NOPE is not set",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1, channels: [{email: [a@b.co, nobody]}]}]",
            "rules[0].channels[0].email[1]",
            "expected an email address",
        ),
        (
            "rules: [{name: a, measure: spend, period: day, above: 1}, "
            "{name: a, measure: requests, period: hour, above: 1}]",
            "rules[1].name",
            "another rule is already named 'a'",
        ),
        ("rules: {name: a}", "rules", "expected list"),
        ("slack_alerts: {alerts: []}", "slack_alerts", "needs webhook_url"),
        (
            "slack_alerts: {webhook_url: x, alerts: []}",
            "slack_alerts.webhook_url",
            "must be an http:// or https:// URL",
        ),
        (
            "slack_alerts: {webhook_url: 'https://h.example/x', alerts: [{type: weekly_spend, threshold: 1}]}",
            "slack_alerts.alerts[0].type",
            "daily_spend, model_usage",
        ),
        (
            "slack_alerts: {webhook_url: 'https://h.example/x', alerts: [{type: model_usage, threshold: 1}]}",
            "slack_alerts.alerts[0]",
            "needs a model",
        ),
        (
            "slack_alerts: {webhook_url: 'https://h.example/x', alerts: [{type: daily_spend, threshold: 1, model: m}]}",
            "slack_alerts.alerts[0].model",
            "only a model_usage",
        ),
        (
            "slack_alerts: {webhook_url: 'https://h.example/x', alerts: [{type: daily_spend}]}",
            "slack_alerts.alerts[0]",
            "needs a type",
        ),
        (
            "slack_alerts: {webhook_url: 'https://h.example/x', alerts: [{type: daily_spend, threshold: 1}], "
            "channel: '#x'}",
            "slack_alerts.channel",
            "unknown setting",
        ),
        ("litellm_settings: {slack_alerts: [1]}", "litellm_settings.slack_alerts", "expected a mapping"),
        ("litellm_settings: [1]", "litellm_settings", "expected dict"),
    ],
)
def test_each_invalid_value_is_one_error_naming_file_and_key(
    tmp_path: Path, rules: str, where: str, problem: str
) -> None:
    path = write(tmp_path, rules + "\n")
    with pytest.raises(ConfigError) as info:
        rule_settings(loaded(path), env={})
    message = str(info.value)
    assert message.startswith(f"{path}: {where}: ") and problem in message, message


def test_a_secret_webhook_is_never_echoed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules: [{name: a, measure: spend, period: day, above: 1, channels: [{webhook: 'ftp://secret-hook'}]}]\n",
    )
    with pytest.raises(ConfigError) as info:
        rule_settings(loaded(path), env={})
    assert "secret-hook" not in str(info.value)


def test_litellm_budget_alerts_are_checked_under_their_own_key(tmp_path: Path) -> None:
    path = write(tmp_path, "litellm_settings:\n  budget_alerts: [{threshold: 80, webhook: 'https://h.example/x'}]\n")
    with pytest.raises(ConfigError) as info:
        budget_settings(loaded(path), env={})
    assert str(info.value).startswith(f"{path}: litellm_settings.budget_alerts[0].threshold: ")


# ---------------------------------------------------------------- fuzz
WORDS = [
    "name", "kind", "measure", "scope", "period", "above", "channels", "min_requests", "factor", "floor",
    "spike", "threshold", "spend", "requests", "tokens", "failures", "failure_rate", "hour", "day", "week",
    "month", "daily", "model", "team", "key", "tag", "webhook", "email", "5%", "1e999", "nan", "-1", "$5",
    "a@b.co", "os.environ/HOOK", "os.environ/NOPE", "os.environ/", SECRET, "type", "daily_spend", "model_usage",
    "webhook_url", "alerts", "sk-x",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=8),
)
keys = st.one_of(st.sampled_from(WORDS[:-4]), st.text(max_size=6), st.integers(-3, 3))  # (no secret as a key)
anything = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5), max_leaves=20
)


numbers = st.one_of(
    st.integers(-5, 10**6), st.floats(-1, 1e7), st.sampled_from(["5%", "$1,000", "0.5", "1e999", "nan", "-1", "x%"])
)
FIELD_VALUES = {
    "name": st.sampled_from(["a", "b", ""]),
    "kind": st.sampled_from(["spike", "threshold", "Spike", "burst"]),
    "measure": st.sampled_from(["spend", "requests", "tokens", "failures", "failure_rate", "cost"]),
    "period": st.sampled_from(["hour", "day", "week", "month", "daily", "year"]),
    "above": numbers,
    "factor": numbers,
    "floor": numbers,
    "min_requests": numbers,
    "scope": st.dictionaries(
        st.sampled_from(["model", "team", "key", "tag", "user", "provider", "modle"]),
        st.one_of(
            st.sampled_from(["gpt-4o", "sk-x", "Alpha", ""]), st.lists(st.sampled_from(["a", "b", ""]), max_size=2)
        ),
        max_size=3,
    ),
    "channels": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "webhook": st.sampled_from([SECRET, "os.environ/HOOK", "os.environ/NOPE", "ftp://secret-hook"]),
                "email": st.one_of(
                    st.sampled_from(["a@b.co", "nobody", "a @b.co"]), st.lists(st.sampled_from(["a@b.co", "x"]))
                ),
            },
        ),
        max_size=3,
    ),
    "type": st.sampled_from(["daily_spend", "model_usage", "weekly"]),
    "threshold": numbers,
    "model": st.sampled_from(["grok-code-fast-1", "m", ""]),
    "webhook_url": st.sampled_from([SECRET, "os.environ/HOOK", "os.environ/NOPE", "x"]),
}
VALID_RULES = [
    {"name": "a", "measure": "spend", "period": "day", "above": 50},
    {"name": "b", "measure": "failure_rate", "period": "hour", "above": "5%", "min_requests": 3},
    {"name": "c", "kind": "spike", "measure": "spend", "factor": 3, "floor": 5, "scope": {"model": "m"}},
    {"name": "d", "kind": "spike", "measure": "requests", "factor": 2, "channels": [{"email": "a@b.co"}]},
]
VALID_ALERTS = [{"type": "daily_spend", "threshold": 50.0}, {"type": "model_usage", "model": "m", "threshold": 1000}]


@st.composite
def mutated(draw: st.DrawFn, base: dict) -> object:
    """A valid entry with 0 to 2 of its settings replaced, added or removed."""
    item = dict(base)
    for _ in range(draw(st.integers(0, 2))):
        action = draw(st.sampled_from(["set", "set", "junk", "drop"]))
        key = draw(st.sampled_from(sorted(FIELD_VALUES)))
        if action == "drop":
            item.pop(draw(st.sampled_from(sorted(item))) if item else key, None)
        else:
            item[key] = draw(FIELD_VALUES[key] if action == "set" else anything)
    return item


rule_like = st.sampled_from(VALID_RULES).flatmap(mutated) | anything
slack_like = st.builds(
    lambda url, alerts: {"webhook_url": url, "alerts": alerts},
    FIELD_VALUES["webhook_url"],
    st.lists(st.sampled_from(VALID_ALERTS).flatmap(mutated), max_size=3),
).flatmap(mutated)
documents = st.fixed_dictionaries(
    {},
    optional={
        "rules": st.lists(rule_like, max_size=4) | anything,
        "slack_alerts": slack_like | anything,
        "litellm_settings": st.fixed_dictionaries(
            {}, optional={"slack_alerts": slack_like | anything, "budget_alerts": anything, "drop_params": scalars}
        )
        | anything,
    },
)
KEY = re.compile(r"^/fuzz/config\.yaml: (rules|slack_alerts|litellm_settings)[\[.:]")


@settings(max_examples=600, deadline=None)
@given(documents)
def test_fuzz_every_invalid_config_is_one_config_error(data: dict) -> None:
    try:
        found = parse_rule_settings(data, Path("/fuzz/config.yaml"), env=ENV)
    except ConfigError as exc:
        message = str(exc)
        assert KEY.match(message), message
        assert "secret-hook" not in message and "\n" not in message
        return
    names = [r.name for r in found.rules]
    assert len(names) == len(set(names)) and all(isinstance(r, Rule | SpikeRule) for r in found.rules)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents)
def test_fuzz_through_the_config_file(tmp_path: Path, data: dict) -> None:
    path = write(tmp_path, yaml.safe_dump(data))
    try:
        config = loaded(path)
        rule_settings(config, env=ENV)
        budget_settings(config, env=ENV)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(f"{path}: ") and "secret-hook" not in message, message
