"""`spendtui report organizations|projects|agents` in every format, run as a real process
on a hand-written LiteLLM database, against plain SQL attribution (to 1e-6 USD); `id` on
the other kinds' rows; and a source that cannot answer exactly refuses with a reason."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import need, spendtui
from tests.peer import MASTER, PEER_URL, peer_problem
from tests.tui.entities_db import create_entities_db, names, truth

START, END = date(2026, 11, 1), date(2026, 11, 27)
KINDS = {"organizations": "organization", "projects": "project", "agents": "agent"}
FIELDS = ["spend", "requests", "prompt_tokens", "completion_tokens", "total_tokens"]
CACHE = ["cache_read_tokens", "cache_creation_tokens"]  # (added later: last, in CSV too)
#: Models, keys and teams rows end with the latency percentiles (added after the cache tokens).
LATENCY = ["latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms"]


@pytest.fixture(scope="module")
def entities_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return create_entities_db(tmp_path_factory.mktemp("entities") / "litellm.db")


def report(db: Path, kind: str, fmt: str, start: date = START, end: date = END) -> str:
    done = spendtui(
        "report", kind, "--db", f"sqlite:///{db}", "--start", str(start), "--end", str(end), "--format", fmt
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def expected(db: Path, entity: str, start: date = START, end: date = END) -> dict[str | None, tuple]:
    """id -> (name, spend, requests, prompt, completion, total) from SQL alone."""
    named = names(db, entity)
    return {i: ((named.get(i) or i) if i else "(none)", *t) for i, t in truth(db, entity, start, end).items()}


def check(rows: list[dict], want: dict[str | None, tuple]) -> None:
    got = {r["id"]: r for r in rows}
    assert set(got) == set(want), set(got) ^ set(want)
    for ident, (name, spend, requests, prompt, completion, total) in want.items():
        row = got[ident]
        assert row["name"] == name, (ident, row)
        assert abs(float(row["spend"]) - spend) <= 1e-6, (ident, row["spend"], spend)
        assert [int(row[f]) for f in FIELDS[1:]] == [requests, prompt, completion, total], ident


@pytest.mark.parametrize("kind", list(KINDS))
def test_json_matches_sql(entities_db: Path, kind: str) -> None:
    doc = json.loads(report(entities_db, kind, "json"))
    assert doc["group_by"] == KINDS[kind]
    assert all(list(r) == ["id", "name", *FIELDS, *CACHE] for r in doc["rows"]), doc["rows"][0]
    want = expected(entities_db, KINDS[kind])
    check(doc["rows"], want)
    spends = [r["spend"] for r in doc["rows"]]
    assert spends == sorted(spends, reverse=True)
    assert abs(doc["total"]["spend"] - sum(w[1] for w in want.values())) <= 1e-6


def test_attribution_cases(entities_db: Path) -> None:
    """Each case of the rule, by hand: the key's organization before the team's, the row's
    own before both, the team's when the key has none, none when neither has one."""
    doc = json.loads(report(entities_db, "organizations", "json", date(2026, 11, 20), date(2026, 11, 20)))
    spend = {r["id"]: round(r["spend"], 6) for r in doc["rows"]}
    assert spend == {
        "org-acme": round(1.234567 + 0.099001 + 0.010101, 6),
        "org-beta": 0.470003,
        "org-gamma": 0.331337,
        None: round(2.050505 + 3.500009, 6),
    }


@pytest.mark.parametrize("kind", list(KINDS))
def test_csv_matches_sql(entities_db: Path, kind: str) -> None:
    rows = list(csv.DictReader(io.StringIO(report(entities_db, kind, "csv"))))
    assert list(rows[0]) == ["id", "name", *FIELDS, *CACHE]
    check([{**r, "id": r["id"] or None} for r in rows], expected(entities_db, KINDS[kind]))


@pytest.mark.parametrize("kind", list(KINDS))
def test_table_names_and_cents(entities_db: Path, kind: str) -> None:
    out = report(entities_db, kind, "table")
    for ident, (name, spend, *_) in expected(entities_db, KINDS[kind]).items():
        line = next(x for x in out.splitlines() if x.startswith(name))
        if ident and name != ident:
            assert f"({ident[:10]}" in line, line
        assert f"${spend:,.2f}" in line, (line, spend)


def test_other_kinds_carry_id(entities_db: Path) -> None:
    """Older kinds keep name and label and add id (CSV: last, so positions hold)."""
    doc = json.loads(report(entities_db, "teams", "json"))
    by_id = {r["id"]: r for r in doc["rows"]}
    assert set(by_id) == {"team-b", "team-plain", None}
    assert (by_id["team-b"]["name"], by_id["team-b"]["label"]) == ("team-b", "Team B")
    assert (by_id[None]["name"], by_id[None]["label"]) == ("(none)", "(none)")
    keys = list(csv.DictReader(io.StringIO(report(entities_db, "keys", "csv"))))
    assert list(keys[0]) == ["name", "label", "key_alias", "key_name", *FIELDS, "id", *CACHE, *LATENCY]
    assert {r["id"] for r in keys} == {"hash-a", "hash-b", "hash-c", "hash-gone"}
    days = json.loads(report(entities_db, "daily", "json"))["rows"]
    assert all(r["id"] == r["name"] for r in days)


def test_refusal_exits_3_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy's daily tables record no organization for the older days: a clear
    refusal on stderr, nothing on stdout, exit 3 (never a table of zeros)."""
    problem = peer_problem()
    need(problem is None, problem or "")
    monkeypatch.setenv("LITELLM_PROXY_API_KEY", MASTER)
    for fmt in ("table", "json", "csv"):
        done = spendtui("report", "organizations", "--proxy", PEER_URL, "--start", "2026-01-01", "--format", fmt)
        assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
        assert done.stdout == ""
        assert done.stderr.startswith("spendtui: cannot answer organization exactly"), done.stderr
