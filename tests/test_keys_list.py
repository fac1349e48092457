"""``spendtui keys list`` from databases: SQLite in LiteLLM's layout and in the compact
layout, and LiteLLM's real PostgreSQL schema. Every expected value comes from SQL run
here, independently of spendtui's readers; the raw keys never appear in any output."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from spendtui.cli import main
from spendtui.demo.generator import create_demo_db
from spendtui.demo.world import DemoWorld
from tests.helpers import FIXED_NOW, create_pg_database, load_real_schema

NOW = ["--now", FIXED_NOW.isoformat()]
FORMATS = ("table", "json", "csv")


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoWorld]:
    """A small demo database in LiteLLM's layout; one key blocked, one expired, one expiring."""
    path = tmp_path_factory.mktemp("keys") / "litellm.db"
    world = create_demo_db(path, rows=3_000, days=45, layout="litellm", seed=23, now=FIXED_NOW)  # (keys over 100 %)
    with sqlite3.connect(path) as conn:
        tokens = [r[0] for r in conn.execute('SELECT token FROM "LiteLLM_VerificationToken" ORDER BY token LIMIT 3')]
        conn.execute('UPDATE "LiteLLM_VerificationToken" SET blocked = 1 WHERE token = ?', (tokens[0],))
        conn.execute(
            'UPDATE "LiteLLM_VerificationToken" SET expires = ? WHERE token = ?', ("2026-11-01 00:00:00", tokens[1])
        )
        conn.execute(
            'UPDATE "LiteLLM_VerificationToken" SET expires = ? WHERE token = ?', ("2027-02-01 08:30:00", tokens[2])
        )
    return path, world


@pytest.fixture(scope="module")
def compact(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoWorld]:
    path = tmp_path_factory.mktemp("keys") / "compact.db"
    world = create_demo_db(path, rows=3_000, days=45, layout="compact", seed=22, now=FIXED_NOW)
    return path, world


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["keys", "list", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def listed(capsys: pytest.CaptureFixture[str], url: str, *extra: str) -> dict:
    code, out, err = run(capsys, "--db", url, "--format", "json", *NOW, *extra)
    assert code == 0, err
    return json.loads(out, parse_float=Decimal)


def usd(value: object) -> Decimal | None:
    """A stored float as the decimal LiteLLM wrote (its shortest repr), to the pico-dollar."""
    return None if value is None else Decimal(repr(float(value))).quantize(Decimal("1e-12"))


def utc(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def table_rows(out: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of the table, split on the dashed rule's column bounds."""
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    bounds, pos = [], 0
    for dashes in lines[rule].split("  "):
        bounds.append((pos, pos + len(dashes)))
        pos += len(dashes) + 2
    body = [line for line in lines[rule + 1 :] if line and not line.startswith("note:")]

    def cells(line: str) -> list[str]:
        return [line[a:b].strip() for a, b in bounds]

    return cells(lines[rule - 1]), [cells(line) for line in body]


REAL_SQL = """
SELECT k.token, k.key_alias, k.key_name, k.spend, k.max_budget, b.soft_budget, k.budget_duration,
       k.budget_reset_at, k.blocked, k.expires, k.team_id, t.team_alias, k.user_id
FROM "LiteLLM_VerificationToken" k
LEFT JOIN "LiteLLM_BudgetTable" b ON b.budget_id = k.budget_id
LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = k.team_id
"""


def expected_key(row: tuple) -> dict:
    token, alias, name, spend, max_budget, soft, duration, reset_at, blocked, expires, team_id, team, user = row
    return {
        "token": token,
        "key_alias": alias,
        "key_name": name,
        "spend": usd(spend),
        "max_budget": usd(max_budget),
        "soft_budget": usd(soft),
        "budget_duration": duration,
        "budget_reset_at": utc(reset_at),
        "blocked": bool(blocked),
        "expires": utc(expires),
        "team_id": team_id,
        "team": team or team_id,
        "user_id": user,
    }


def check_against(doc: dict, truth: list[tuple]) -> None:
    """Every key in the output is a row of ``truth`` with the same values, and vice versa."""
    assert doc["count"] == len(truth) == len(doc["keys"])
    by_token = {k["token"]: k for k in doc["keys"]}
    assert set(by_token) == {r[0] for r in truth}
    for row in truth:
        want = expected_key(row)
        got = dict(by_token[want["token"]])
        for field in ("budget_reset_at", "expires"):
            got[field] = utc(got[field])
        assert {f: got[f] for f in want} == want, want["token"]
        limit = want["max_budget"] if want["max_budget"] is not None else want["soft_budget"]
        if limit is None:
            assert got["percent_used"] is None and got["percent_of"] is None
        elif limit > 0:
            assert abs(got["percent_used"] - want["spend"] / limit * 100) <= Decimal("0.005")
            assert got["percent_of"] == ("max_budget" if want["max_budget"] is not None else "soft_budget")
        assert got["expired"] == (want["expires"] is not None and want["expires"] <= FIXED_NOW)
        if want["budget_reset_at"] is not None and want["budget_reset_at"] > FIXED_NOW:
            assert utc(got["next_reset"]) == want["budget_reset_at"] and got["next_reset_assumed"] is False


def test_real_layout_json_matches_sql(real, capsys) -> None:
    path, world = real
    doc = listed(capsys, f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        truth = conn.execute(REAL_SQL).fetchall()
    check_against(doc, truth)
    assert doc["unknown_fields"] == [] and doc["notes"] == []
    assert sum(k["blocked"] for k in doc["keys"]) == 1 and sum(k["expired"] for k in doc["keys"]) == 1
    assert any(k["soft_budget"] is not None for k in doc["keys"])  # read through budget_id
    assert any(k["spend"] != k["spend"].quantize(Decimal("0.000001")) for k in doc["keys"])  # exact, not rounded


def test_real_layout_table_and_csv(real, capsys) -> None:
    path, world = real
    code, out, err = run(capsys, "--db", f"sqlite:///{path}", *NOW, "--sort", "alias")
    assert code == 0, err
    header, body = table_rows(out)
    assert header[:5] == ["alias", "key", "team", "user", "spend"] and "used" in header
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            'SELECT key_alias, key_name, blocked, expires FROM "LiteLLM_VerificationToken" ORDER BY lower(key_alias)'
        ).fetchall()
    assert [r[0] for r in body] == [r[0] for r in rows]
    assert [r[1] for r in body] == [r[1] for r in rows]
    col = {name: i for i, name in enumerate(header)}
    # the expiry column: a date only where the database has one, "never" where it has NULL
    for cells, (_, _, blocked, expires) in zip(body, rows, strict=True):
        assert (cells[col["expires (UTC)"]] == "never") == (expires is None)
        assert (cells[col["blocked"]] == "yes") == bool(blocked)
    assert "?" not in {c for r in body for c in r}
    code, out, err = run(capsys, "--db", f"sqlite:///{path}", *NOW, "--format", "csv")
    assert code == 0, err
    records = list(csv.DictReader(io.StringIO(out)))
    assert len(records) == len(rows) and "unknown" not in {v for r in records for v in r.values()}


def used_truth(conn: sqlite3.Connection) -> dict[str, Decimal | None]:
    """alias -> spend / (max budget, else soft budget), by SQL; None without a limit."""
    out: dict[str, Decimal | None] = {}
    for alias, spend, max_budget, soft in conn.execute(
        'SELECT k.key_alias, k.spend, k.max_budget, b.soft_budget FROM "LiteLLM_VerificationToken" k '
        'LEFT JOIN "LiteLLM_BudgetTable" b ON b.budget_id = k.budget_id'
    ):
        limit = usd(max_budget) if max_budget is not None else usd(soft)
        spent = usd(spend)
        if limit is None:
            out[alias] = None
        elif limit == 0:
            out[alias] = Decimal("Infinity") if spent > 0 else Decimal(1)
        else:
            out[alias] = spent / limit
    return out


@pytest.mark.parametrize("threshold", ["80", "100", "12.5%"])
def test_over_and_sort_used_table(real, capsys, threshold) -> None:
    path, _ = real
    code, out, err = run(capsys, "--db", f"sqlite:///{path}", *NOW, "--over", threshold, "--sort", "used")
    assert code == 0, err
    with sqlite3.connect(path) as conn:
        truth = used_truth(conn)
    limit = Decimal(threshold.rstrip("%")) / 100
    wanted = {a for a, used in truth.items() if used is not None and used >= limit}
    assert wanted, "the demo data has keys over every tested threshold"
    header, body = table_rows(out)
    aliases = [r[0] for r in body]
    assert sorted(aliases) == sorted(wanted)
    assert [truth[a] for a in aliases] == sorted((truth[a] for a in aliases), reverse=True)  # fullest first
    assert out.splitlines()[0].endswith(f"{len(wanted)} of {len(truth)}")
    used = header.index("used")
    for cells in body:
        if truth[cells[0]] == Decimal("Infinity"):
            assert cells[used] == "$0 limit"
        else:
            # rounded down, as everywhere a budget's percentage is shown
            floor = (truth[cells[0]] * 100).quantize(Decimal("0.1"), ROUND_FLOOR)
            assert cells[used].split()[0] == f"{floor}%"


def test_sort_spend_is_most_first(real, capsys) -> None:
    path, _ = real
    doc = listed(capsys, f"sqlite:///{path}", "--sort", "spend")
    spends = [k["spend"] for k in doc["keys"]]
    assert spends == sorted(spends, reverse=True) and spends[0] > 0


COMPACT_SQL = 'SELECT token, spend, max_budget, user_id, team_id FROM "LiteLLM_VerificationToken"'


def test_compact_layout_unknown_not_never(compact, capsys) -> None:
    path, _ = compact
    doc = listed(capsys, f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        truth = conn.execute(COMPACT_SQL).fetchall()
    assert doc["count"] == len(truth)
    by_token = {k["token"]: k for k in doc["keys"]}
    for token, spend, max_budget, user, team in truth:
        got = by_token[token]
        assert (got["spend"], got["max_budget"], got["user_id"], got["team_id"]) == (
            usd(spend),
            usd(max_budget),
            user,
            team,
        )
        assert got["budget_duration"] is None and got["expires"] is None and got["next_reset"] is None
    unknown = set(doc["unknown_fields"])
    assert {"key_alias", "key_name", "budget_duration", "next_reset", "expires", "blocked", "soft_budget"} <= unknown
    assert not unknown & {"spend", "max_budget", "team_id", "user_id"}
    assert any("simplified layout" in n for n in doc["notes"])

    code, out, err = run(capsys, "--db", f"sqlite:///{path}", *NOW)
    assert code == 0, err
    header, body = table_rows(out)
    assert "never" not in out  # no column may claim "never" for what it cannot know
    for name in ("alias", "duration", "next reset (UTC)", "soft budget", "blocked", "expires (UTC)"):
        assert {r[header.index(name)] for r in body} == {"?"}, name
    assert {r[header.index("key")] for r in body} == {"#" + t[:8] for t, *_ in truth}
    assert "note: " in out and "unknown" in out

    code, out, err = run(capsys, "--db", f"sqlite:///{path}", *NOW, "--format", "csv")
    records = list(csv.DictReader(io.StringIO(out)))
    assert {r["expires"] for r in records} == {"unknown"} and {r["budget_duration"] for r in records} == {"unknown"}
    assert {r["spend"] for r in records} != {"unknown"}


def test_raw_keys_never_shown(real, compact, capsys, tmp_path) -> None:
    for path, world in (real, compact):
        for fmt in FORMATS:
            code, out, err = run(capsys, "--db", f"sqlite:///{path}", *NOW, "--format", fmt)
            assert code == 0, err
            assert not [k.raw for k in world.keys if k.raw in out or k.raw in err], (path.name, fmt)
    # a simplified database that keeps raw keys in its token column: cut to sk-...abcd
    db = tmp_path / "raw.db"
    raw = "sk-RawStoredKey0123456789abcdWXYZ"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE LiteLLM_SpendLogs (request_id TEXT, api_key TEXT, spend REAL, startTime TEXT)")
        conn.execute("CREATE TABLE LiteLLM_VerificationToken (token TEXT PRIMARY KEY, spend REAL, max_budget REAL)")
        conn.execute("INSERT INTO LiteLLM_VerificationToken VALUES (?, 1.25, 5)", (raw,))
    for fmt in FORMATS:
        code, out, err = run(capsys, "--db", f"sqlite:///{db}", *NOW, "--format", fmt)
        assert code == 0, err
        assert raw not in out and raw[:12] not in out and "sk-...WXYZ" in out, fmt
    doc = listed(capsys, f"sqlite:///{db}")
    assert doc["keys"][0]["token"] is None and doc["keys"][0]["percent_used"] == 25.0


def test_errors_are_one_line(real, capsys, tmp_path) -> None:
    path, _ = real
    cases = [
        (["--db", f"sqlite:///{tmp_path / 'absent.db'}"], 3, "no SQLite database"),
        (["--db", f"sqlite:///{path}", "--over", "lots"], 2, "--over 'lots' is not a percentage"),
        (["--db", f"sqlite:///{path}", "--over", "-5"], 2, "is not a percentage"),
        (["--db", f"sqlite:///{path}", "--now", "soon"], 2, "not an ISO timestamp"),
        ([], 2, "no source configured"),
    ]
    for argv, exit_code, message in cases:
        code, out, err = run(capsys, *argv)
        assert code == exit_code and message in err and "Traceback" not in err, argv
        assert len(err.strip().splitlines()) == 1 and out == ""
    with pytest.raises(SystemExit):  # argparse refuses an unknown sort
        main(["keys", "list", "--db", f"sqlite:///{path}", "--sort", "size"])
    assert "invalid choice" in capsys.readouterr().err


PG_KEYS = [
    # token, alias, key_name, spend, max_budget, duration, reset_at, blocked, expires, team, budget
    ("a" * 64, "web-prod", "sk-...Ab12", 41.5, 50.0, "30d", "2026-12-01 00:00:00", None, None, "team-w", "bud-1"),
    ("b" * 64, "batch", "sk-...Cd34", 0.00174795, None, None, None, True, "2026-11-01 00:00:00", None, None),
    ("c" * 64, None, None, 7.25, 5.0, "7d", "2026-11-20 00:00:00", False, "2027-01-01 00:00:00", "team-x", None),
    ("d" * 64, "zero", "sk-...Ef56", 0.0, 0.0, "1d", "2026-11-28 00:00:00", None, None, None, None),
]


def test_postgres_real_schema(capsys) -> None:
    import psycopg

    url = create_pg_database("spendtui_keys_list")
    load_real_schema(url)
    with psycopg.connect(url) as conn:
        conn.execute(
            'INSERT INTO "LiteLLM_BudgetTable" (budget_id, soft_budget, created_by, updated_by) '
            "VALUES ('bud-1', 40, 'tests', 'tests')"
        )
        conn.execute("INSERT INTO \"LiteLLM_TeamTable\" (team_id, team_alias) VALUES ('team-w', 'Web')")
        for row in PG_KEYS:
            conn.execute(
                'INSERT INTO "LiteLLM_VerificationToken" (token, key_alias, key_name, spend, max_budget, '
                "budget_duration, budget_reset_at, blocked, expires, team_id, budget_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )
        conn.commit()
        truth = conn.execute(REAL_SQL.replace("\n", " ")).fetchall()
    doc = listed(capsys, url)
    check_against(doc, truth)
    assert doc["unknown_fields"] == []
    keys = {k["token"]: k for k in doc["keys"]}
    assert keys["a" * 64]["soft_budget"] == Decimal(40) and keys["a" * 64]["team"] == "Web"
    assert keys["a" * 64]["percent_used"] == Decimal("83.0")
    assert keys["b" * 64]["spend"] == Decimal("0.00174795") and keys["b" * 64]["expired"] is True
    assert keys["c" * 64]["reset_overdue"] is True and keys["c" * 64]["team"] == "team-x"
    assert keys["d" * 64]["percent_used"] == Decimal(100)  # a $0 limit with no spend is full
    code, out, err = run(capsys, "--db", url, *NOW, "--over", "100", "--sort", "used")
    assert code == 0, err
    _, body = table_rows(out)
    assert [r[1] for r in body] == ["#cccccccc", "sk-...Ef56"]  # 145% first, then the $0 limit at 100%
