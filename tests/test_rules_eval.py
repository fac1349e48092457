"""Spend rules and spikes evaluated by a real engine over a real LiteLLM-layout database
(SQLite, and its PostgreSQL copy), against ground truth written independently in SQL: a
SUM or COUNT over "LiteLLM_SpendLogs" for the period's UTC bounds and the scope, in
integer pico-dollars."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from spendtui.budgets.rules_config import parse_rule_settings
from spendtui.budgets.rules_eval import prepare_engine, rule_board
from spendtui.core.rule_eval import evaluate_rules
from spendtui.core.rule_periods import current_period
from spendtui.core.rules import Rule, RuleResult, next_states, transitions
from spendtui.core.spikes import median
from spendtui.demo.schema import LITELLM_DDL
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import pg_copy_of

#: A Wednesday afternoon, and a Wednesday night (New York is still on Tuesday).
NOW = datetime(2026, 12, 9, 14, 25, tzinfo=UTC)
NIGHT = datetime(2026, 12, 9, 3, 25, tzinfo=UTC)
FIRST = datetime(2026, 11, 24, tzinfo=UTC)
H = datetime(2026, 12, 9, 13, tzinfo=UTC)  # the last full hour at NOW
MODELS = ["gpt-4o", "claude-sonnet", "grok-code-fast-1"]
TEAMS = {"team-a": "Alpha", "team-b": "Beta"}
KEYS = {f"sk-raw-{i}": f"alias-{i}" for i in range(4)}
TAGS = ["[]", '["env:prod"]', '["env:dev"]', '["env:prod", "proj:x"]']
COLUMNS = (
    'request_id, call_type, api_key, spend, total_tokens, prompt_tokens, completion_tokens, "startTime", '
    '"endTime", model, model_group, team_id, request_tags, status'
)
#: Spike scopes (models no random row uses): spend at 13:00 on Dec 2..8, then in hour H.
SPIKY = [1, 2, 2, 3, 3, 4, 5]  # median 3; H: 12 = 4 x the median
GAPPY = [0, 0, 2, 0, 6, 0, 1]  # no requests on 4 days: median 0
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)]


def sha(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def row(i: int, when: datetime, spend: str, model: str, key: str, team: str | None, tags: str, status: str) -> tuple:
    prompt, completion = (i * 37) % 900, (i * 11) % 300
    end = stamp(when + timedelta(seconds=2))
    tokens = (prompt + completion, prompt, completion)
    return (f"r{i}", "acompletion", key, float(spend), *tokens, stamp(when), end, model, model, team, tags, status)


def random_rows(seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    span = int((NOW - FIRST).total_seconds())
    for i in range(2500):
        when = FIRST + timedelta(seconds=rng.randrange(span))
        spend = f"{rng.randrange(0, 2_000_000) / 1_000_000:.6f}"
        out.append(
            row(
                i,
                when,
                spend,
                rng.choice(MODELS),
                sha(rng.choice(list(KEYS))),
                rng.choice([*TEAMS, None]),
                rng.choice(TAGS),
                "failure" if rng.random() < 0.1 else "success",
            )
        )
    return out


def spike_rows() -> list[tuple]:
    out = []
    i = 100_000
    for model, amounts, last in (("spiky", SPIKY, 12), ("gappy", GAPPY, 4), ("idle", [0] * 7, 0.5)):
        for k, amount in enumerate([*amounts, last]):
            hour = H - timedelta(days=7 - k)
            # the amount in two requests, minutes apart (a day without requests: none)
            for part in (Fraction(amount) / 4, Fraction(amount) * 3 / 4) if amount else ():
                out.append(
                    row(
                        i,
                        hour + timedelta(minutes=7 + i % 40),
                        f"{float(part):.6f}",
                        model,
                        sha("sk-raw-0"),
                        "team-a",
                        "[]",
                        "success",
                    )
                )
                i += 1
    # a requests spike: 2 requests at 13:00 each day before, 9 in hour H
    for k in range(8):
        for j in range(9 if k == 7 else 2):
            out.append(
                row(
                    i,
                    H - timedelta(days=7 - k, minutes=-3 - j),
                    "0.001",
                    "burst",
                    sha("sk-raw-1"),
                    None,
                    "[]",
                    "success",
                )
            )
            i += 1
    return out


@pytest.fixture(scope="module")
def rules_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "rules.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LITELLM_DDL)
        holes = ", ".join("?" * 14)
        conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({holes})', random_rows(5) + spike_rows())
        conn.executemany(
            'INSERT INTO "LiteLLM_VerificationToken" (token, key_alias) VALUES (?, ?)',
            [(sha(raw), alias) for raw, alias in KEYS.items()],
        )
        conn.executemany('INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias) VALUES (?, ?)', list(TEAMS.items()))
    conn.close()
    return path


@pytest.fixture(scope="module")
def pg_url(rules_db: Path) -> str:
    return pg_copy_of(rules_db, "spendtui_test_rules")


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, rules_db: Path) -> str:
    return request.getfixturevalue("pg_url") if request.param == "pg" else f"sqlite:///{rules_db}"


def engine_at(url: str, now: datetime) -> SpendEngine:
    return SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(now))


# ---------------------------------------------------------------- ground truth in SQL
class Truth:
    """The measures of the rows in [start, end) passing a scope, by plain SQL."""

    def __init__(self, url: str) -> None:
        self.pg = url.startswith("postgresql")
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))

    def measures(self, start: datetime, end: datetime, where: str = "1 = 1") -> dict[str, Fraction]:
        ts = 'CAST(:lo AS timestamp) <= "startTime" AND "startTime" < CAST(:hi AS timestamp)'
        pico = "round(spend * 1e12)::bigint" if self.pg else "CAST(round(spend * 1e12) AS INTEGER)"
        if not self.pg:
            ts = ':lo <= "startTime" AND "startTime" < :hi'
        sql = (
            f"SELECT coalesce(sum({pico}), 0), count(*), coalesce(sum(total_tokens), 0), "
            f"coalesce(sum(CASE WHEN status = 'failure' THEN 1 ELSE 0 END), 0) "
            f'FROM "LiteLLM_SpendLogs" WHERE {ts} AND spend BETWEEN 0 AND 1000000 AND ({where})'
        )
        params = {"lo": stamp(start.astimezone(UTC)), "hi": stamp(end.astimezone(UTC))}
        with self.engine.connect() as conn:
            spend, requests, tokens, failures = conn.execute(text(sql), params).one()
        return {
            "spend": Fraction(int(spend)),
            "requests": Fraction(requests),
            "tokens": Fraction(int(tokens)),
            "failures": Fraction(int(failures)),
            "failure_rate": Fraction(int(failures), requests) if requests else Fraction(0),
        }

    def tag(self, tag: str) -> str:
        if self.pg:
            return f"request_tags::jsonb ? '{tag}'"
        return f"EXISTS (SELECT 1 FROM json_each(request_tags) WHERE value = '{tag}')"


SCOPES = {
    "all": ({}, lambda t: "1 = 1"),
    "model": ({"model": "gpt-4o"}, lambda t: "model = 'gpt-4o'"),
    "team alias": ({"team": "Alpha"}, lambda t: "team_id = 'team-a'"),
    "key alias or raw key": (
        {"key": ["alias-1", "sk-raw-2"]},
        lambda t: f"api_key IN ('{sha('sk-raw-1')}', '{sha('sk-raw-2')}')",
    ),
    "tag and model": ({"tag": "env:prod", "model": ["claude-sonnet", "grok-code-fast-1"]}, None),
}


def scope_sql(truth: Truth, name: str) -> str:
    if name == "tag and model":
        return f"{truth.tag('env:prod')} AND model IN ('claude-sonnet', 'grok-code-fast-1')"
    where = SCOPES[name][1]
    assert where is not None
    return where(truth)


ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]


@pytest.mark.parametrize("now", [NOW, NIGHT], ids=["afternoon", "night"])
@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_every_measure_period_and_scope_matches_sql(url: str, now: datetime, zone: tzinfo) -> None:
    truth = Truth(url)
    raw = [
        {"name": f"{measure} {period} {scope}", "measure": measure, "period": period, "above": 0, "scope": spec}
        for measure in ("spend", "requests", "tokens", "failures", "failure_rate")
        for period in ("hour", "day", "week", "month")
        for scope, (spec, _) in SCOPES.items()
    ]
    rules = parse_rule_settings({"rules": raw}).rules
    board = rule_board(engine_at(url, now), rules, zone)
    assert board.notes == ()
    assert len(board.results) == len(rules)
    checked = 0
    for result in board.results:
        measure, period, scope = result.rule.name.split(" ", 2)
        bounds = current_period(period, now, zone)
        assert (result.period.start, result.period.end) == (bounds.start, bounds.end)
        expected = truth.measures(bounds.start, bounds.end, scope_sql(truth, scope))
        assert result.value == expected[measure], result.rule.name
        assert result.firing == (expected[measure] > 0)
        checked += expected[measure] > 0
    assert checked > len(rules) * 0.8  # (the hour and the night's day may be thin)


def test_period_keys_and_bounds_in_the_profile_zone() -> None:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    assert current_period("hour", NOW, berlin).key == "2026-12-09T15"
    day = current_period("day", NOW, berlin)
    assert (day.key, day.start, day.end) == (
        "2026-12-09",
        datetime(2026, 12, 8, 23, tzinfo=UTC),
        datetime(2026, 12, 9, 23, tzinfo=UTC),
    )
    week = current_period("week", NOW, UTC)
    assert (week.key, week.start) == ("2026-W50", datetime(2026, 12, 7, tzinfo=UTC))
    month = current_period("month", NOW, berlin)
    assert (month.key, month.start, month.end) == (
        "2026-12",
        datetime(2026, 11, 30, 23, tzinfo=UTC),
        datetime(2026, 12, 31, 23, tzinfo=UTC),
    )
    night = current_period("day", NIGHT, new_york)
    assert (night.key, night.start) == ("2026-12-08", datetime(2026, 12, 8, 5, tzinfo=UTC))
    # a week across New Year: ISO years
    assert current_period("week", datetime(2027, 1, 1, 12, tzinfo=UTC)).key == "2026-W53"


def test_a_half_hour_zone_counts_utc_periods_and_says_so(url: str) -> None:
    truth = Truth(url)
    rules = parse_rule_settings({"rules": [{"name": "d", "measure": "spend", "period": "day", "above": 1}]}).rules
    board = rule_board(engine_at(url, NOW), rules, ZoneInfo("Asia/Kolkata"))
    (result,) = board.results
    assert result.period.key == "2026-12-09" and result.period.start == datetime(2026, 12, 9, tzinfo=UTC)
    assert result.value == truth.measures(result.period.start, result.period.end)["spend"]
    assert board.notes == (
        "rule 'd': the day in Asia/Kolkata does not start on a UTC hour; counted as the UTC day instead",
    )


# ---------------------------------------------------------------- spikes
SPIKES = {
    "rules": [
        {"name": "spiky x3", "kind": "spike", "measure": "spend", "scope": {"model": "spiky"}, "factor": 3, "floor": 5},
        {"name": "spiky x5", "kind": "spike", "measure": "spend", "scope": {"model": "spiky"}, "factor": 5, "floor": 5},
        {"name": "gappy", "kind": "spike", "measure": "spend", "scope": {"model": "gappy"}, "factor": 3, "floor": 5},
        {
            "name": "gappy low floor",
            "kind": "spike",
            "measure": "spend",
            "scope": {"model": "gappy"},
            "factor": 3,
            "floor": 1,
        },
        {"name": "idle", "kind": "spike", "measure": "spend", "scope": {"model": "idle"}, "factor": 3, "floor": 5},
        {"name": "burst", "kind": "spike", "measure": "requests", "scope": {"model": "burst"}, "factor": 4},
        {"name": "all", "kind": "spike", "measure": "spend", "factor": 3, "floor": 5},
    ]
}


def test_spikes_against_the_median_of_the_same_hour(url: str) -> None:
    truth = Truth(url)
    engine = engine_at(url, NOW)
    engine.load(day_of(NOW) - 1)  # loaded as the dashboard does: two days by hour
    board = rule_board(engine, parse_rule_settings(SPIKES).rules)
    assert board.notes == () and engine.hourly_days == 8
    got = {r.rule.name: r for r in board.results}
    spiky = got["spiky x3"]
    assert spiky.baseline == tuple(Fraction(a * 10**12) for a in SPIKY)
    assert spiky.median == 3 * 10**12 and spiky.value == 12 * 10**12
    assert (
        spiky.threshold == 9 * 10**12
        and spiky.firing
        and spiky.over == 3 * 10**12
        and spiky.over_percent == Fraction(100, 3)
    )
    assert spiky.period.key == "2026-12-09T13" and spiky.key == ("spiky x3", "model spiky", "2026-12-09T13")
    assert spiky.describe() == (
        "spend of model spiky in hour 2026-12-09T13: $12.00, above $9.00 "
        "(3 × the 7-day median $3.00 of that hour, floor $5.00) by $3.00 (+33%)"
    )
    assert not got["spiky x5"].firing and got["spiky x5"].threshold == 15 * 10**12
    # days without requests count as 0: median 0, so only the floor stands between
    assert got["gappy"].median == 0 and got["gappy"].value == 4 * 10**12 and not got["gappy"].firing
    assert got["gappy low floor"].firing
    assert got["idle"].median == 0 and got["idle"].value == Fraction(10**12, 2) and not got["idle"].firing
    burst = got["burst"]
    assert (burst.median, burst.value, burst.threshold, burst.firing) == (2, 9, 8, True)
    # the whole proxy: its hour H and the same hour before, by SQL
    whole = got["all"]
    expected = [
        truth.measures(H - timedelta(days=k), H - timedelta(days=k) + timedelta(hours=1))["spend"]
        for k in range(7, -1, -1)
    ]
    assert whole.baseline == tuple(expected[:-1]) and whole.value == expected[-1]
    assert whole.firing == (expected[-1] > max(3 * median(expected[:-1]), 5 * 10**12))


def test_spikes_need_the_days_by_hour(url: str) -> None:
    engine = engine_at(url, NOW)
    engine.load(day_of(NOW) - 8)  # eight days, but only two of them by hour
    board = evaluate_rules(
        parse_rule_settings(SPIKES).rules[:1], engine.query, engine.names, NOW, loaded_from=engine.first_day
    )
    assert board.results == ()
    assert board.notes == ("rule 'spiky x3' not evaluated: 2026-12-02 is held as a whole day, not hour by hour",)
    prepare_engine(engine, parse_rule_settings(SPIKES).rules)  # reloads: now held by hour
    assert evaluate_rules(parse_rule_settings(SPIKES).rules[:1], engine.query, engine.names, NOW).results[0].firing


def test_a_period_before_the_loaded_days_is_not_evaluated(rules_db: Path) -> None:
    engine = engine_at(f"sqlite:///{rules_db}", NOW)
    engine.load(day_of(NOW) - 1)
    rules = parse_rule_settings({"rules": [{"name": "m", "measure": "spend", "period": "month", "above": 1}]}).rules
    board = evaluate_rules(rules, engine.query, engine.names, NOW, loaded_from=engine.first_day)
    assert board.results == () and board.notes == (
        "rule 'm' not evaluated: its month starts 2026-12-01 00:00 UTC, before the loaded days",
    )


def test_an_unknown_scope_value_is_noted(rules_db: Path) -> None:
    rules = parse_rule_settings(
        {"rules": [{"name": "t", "measure": "requests", "period": "day", "above": 0, "scope": {"team": "Gamma"}}]}
    ).rules
    board = rule_board(engine_at(f"sqlite:///{rules_db}", NOW), rules)
    assert board.results[0].value == 0 and not board.results[0].firing
    assert board.notes == ("rule 't': no loaded record has team 'Gamma'",)


# ---------------------------------------------------------------- transitions
def test_fires_once_per_period_resolves_when_back_under_and_fires_next_period(rules_db: Path) -> None:
    engine = engine_at(f"sqlite:///{rules_db}", NOW)
    prepare_engine(
        engine, parse_rule_settings({"rules": [{"name": "x", "measure": "spend", "period": "month", "above": 1}]}).rules
    )

    def daily(above: int) -> tuple[Rule, ...]:
        raw = {"name": "daily team", "measure": "spend", "period": "day", "above": above, "scope": {"team": "Alpha"}}
        return parse_rule_settings({"rules": [raw]}).rules  # type: ignore[return-value]

    def run(rules: tuple[Rule, ...], now: datetime) -> list[RuleResult]:
        return list(evaluate_rules(rules, engine.query, engine.names, now, loaded_from=engine.first_day).results)

    state: dict = {}
    log = []
    steps = [
        (daily(1), NOW - timedelta(days=1, hours=4)),  # Dec 8: over $1 -> firing
        (daily(1), NOW - timedelta(days=1, hours=2)),  # same day, still over: nothing
        (daily(10**6), NOW - timedelta(days=1, hours=1)),  # limit raised: resolved
        (daily(10**6), NOW - timedelta(days=1)),  # still under: nothing
        (daily(1), NOW - timedelta(days=1)),  # over again the same day: nothing (once per period)
        (daily(1), NOW),  # Dec 9: fires again
    ]
    for rules, now in steps:
        results = run(rules, now)
        log.append([(e.kind, e.key) for e in transitions(state, results)])
        state = next_states(state, results)
    assert log == [
        [("firing", ("daily team", "team Alpha", "2026-12-08"))],
        [],
        [("resolved", ("daily team", "team Alpha", "2026-12-08"))],
        [],
        [],
        [("firing", ("daily team", "team Alpha", "2026-12-09"))],
    ]
    assert state == {("daily team", "team Alpha", "2026-12-09"): "firing"}


def test_states_of_rules_not_evaluated_are_kept() -> None:
    kept = {("gone", "all spend", "2026-12-08"): "firing"}
    assert next_states(kept, []) == kept
    assert transitions(kept, []) == []
