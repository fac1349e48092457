"""Every report equals SQL ground truth on SQLite, in both layouts, to 1e-6 USD."""

from __future__ import annotations

import json
from datetime import date

import pytest

from spendtui.cli import main
from tests.truth import Truth

START, END = date(2026, 10, 28), date(2026, 11, 27)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def assert_rows(doc: dict, truth: dict) -> None:
    got = {r["name"]: r for r in doc["rows"]}
    assert set(got) == set(truth), set(got) ^ set(truth)
    for name, (spend, requests, prompt, completion, total) in truth.items():
        row = got[name]
        assert abs(row["spend"] - spend) <= 1e-6, (name, row["spend"], spend)
        assert (row["requests"], row["prompt_tokens"], row["completion_tokens"], row["total_tokens"]) == (
            requests,
            prompt,
            completion,
            total,
        ), name


def assert_total(doc: dict, truth_total: tuple) -> None:
    spend, requests, prompt, completion, total = truth_total
    t = doc["total"]
    assert abs(t["spend"] - spend) <= 1e-6
    assert (t["requests"], t["prompt_tokens"], t["completion_tokens"], t["total_tokens"]) == (
        requests,
        prompt,
        completion,
        total,
    )


def window_args(db) -> list[str]:
    return ["--db", f"sqlite:///{db}", "--start", START.isoformat(), "--end", END.isoformat()]


@pytest.mark.parametrize(
    ("kind", "column"),
    [
        ("keys", "api_key"),
        ("users", '"user"'),
        ("teams", "team_id"),
        ("customers", "end_user"),
        ("providers", "custom_llm_provider"),
    ],
)
def test_breakdowns_match_sql(capsys, litellm_db, kind, column) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    doc = run_json(capsys, "report", kind, *window_args(litellm_db))
    assert doc["group_by"] == kind.rstrip("s") if kind != "keys" else doc["group_by"] == "key"
    assert_rows(doc, truth.by(column, START, END))
    assert_total(doc, truth.total(START, END))
    assert doc["start"] == START.isoformat() and doc["end"] == END.isoformat()


def test_models_match_sql(capsys, litellm_db) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    doc = run_json(capsys, "report", "models", *window_args(litellm_db))
    assert_rows(doc, truth.model(START, END))
    spends = [r["spend"] for r in doc["rows"]]
    assert spends == sorted(spends, reverse=True)


def test_daily_matches_sql_and_is_by_date(capsys, litellm_db) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    doc = run_json(capsys, "report", "daily", *window_args(litellm_db))
    names = [r["name"] for r in doc["rows"]]
    assert names == sorted(names) and names[0] == START.isoformat() and names[-1] == END.isoformat()
    expected = truth.daily(START, END)
    nonzero = {r["name"]: r for r in doc["rows"] if r["requests"]}
    assert set(nonzero) == set(expected)
    assert_rows({"rows": list(nonzero.values())}, expected)


def test_tags_count_once_per_tag_and_untagged(capsys, litellm_db) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    doc = run_json(capsys, "report", "tags", *window_args(litellm_db))
    assert_rows(doc, truth.tags(START, END))
    assert_total(doc, truth.total(START, END))
    assert "(untagged)" in {r["name"] for r in doc["rows"]}


@pytest.mark.parametrize("prefix", ["project", "env", "cost-center", "sprint"])
def test_tag_prefix_rows_per_value(capsys, litellm_db, prefix) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    doc = run_json(capsys, "report", "tags", "--tag-prefix", prefix, *window_args(litellm_db))
    assert doc["group_by"] == f"tag:{prefix}"
    assert_rows(doc, truth.tags(START, END, prefix))


def test_spend_report_has_only_total(capsys, litellm_db) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    doc = run_json(capsys, "report", "spend", *window_args(litellm_db))
    assert doc["rows"] == [] and doc["group_by"] is None
    assert_total(doc, truth.total(START, END))


def test_user_report(capsys, litellm_db) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    by_user = truth.by('"user"', START, END)
    user = max((u for u in by_user if u != "(none)"), key=lambda u: by_user[u][1])
    code = main(["report", "user", user, *window_args(litellm_db), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["user"] == user
    assert_total(doc, by_user[user])
    assert sum(r["requests"] for r in doc["daily"]) == by_user[user][1]
    assert abs(sum(r["spend"] for r in doc["models"]) - by_user[user][0]) < 1e-5


@pytest.mark.parametrize(("kind", "column"), [("models", "model_group"), ("keys", "api_key"), ("teams", "team_id")])
def test_compact_layout_matches_sql(capsys, compact_db, kind, column) -> None:
    truth = Truth(f"sqlite:///{compact_db}", layout="compact")
    doc = run_json(capsys, "report", kind, *window_args(compact_db))
    assert_rows(doc, truth.by(column, START, END))
    assert_total(doc, truth.total(START, END))


def test_compact_tags_and_daily(capsys, compact_db) -> None:
    truth = Truth(f"sqlite:///{compact_db}", layout="compact")
    doc = run_json(capsys, "report", "tags", *window_args(compact_db))
    assert_rows(doc, truth.tags(START, END))
    doc = run_json(capsys, "report", "daily", *window_args(compact_db))
    assert_rows({"rows": [r for r in doc["rows"] if r["requests"]]}, truth.daily(START, END))


def test_table_and_csv_formats(capsys, litellm_db) -> None:
    assert main(["report", "models", *window_args(litellm_db)]) == 0
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert lines[0].startswith("2026-10-28") and "UTC" in lines[0]
    assert any(line.startswith("TOTAL") for line in lines)
    widths = {len(line) for line in lines[2:] if line and not line.startswith("-")}
    assert len(widths) <= 2  # aligned columns (the total line may differ only by trailing text)
    assert main(["report", "models", *window_args(litellm_db), "--format", "csv"]) == 0
    csv_lines = capsys.readouterr().out.splitlines()
    assert csv_lines[0] == (
        "name,label,spend,requests,prompt_tokens,completion_tokens,total_tokens,id,"
        "cache_read_tokens,cache_creation_tokens,"  # (added later: after id, so positions stay)
        "latency_p50_ms,latency_p95_ms,ttft_p50_ms,ttft_p95_ms"  # (then the latency)
    )
    assert all(len(line.split(",")) == 14 for line in csv_lines)


def test_history_daily_on_sqlite_reads_the_logs_and_says_so(capsys, litellm_db) -> None:
    code = main(["report", "models", *window_args(litellm_db), "--history", "daily", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "history: daily needs LiteLLM's PostgreSQL" in out.err
    assert_rows(json.loads(out.out), Truth(f"sqlite:///{litellm_db}").model(START, END))


def test_csv_and_json_name_every_hash_and_id(capsys, litellm_db) -> None:
    """A spreadsheet of `report keys --format csv` shows the alias and sk-...abcd name next
    to each hash (LiteLLM_VerificationToken); teams their alias (LiteLLM_TeamTable)."""
    import csv
    import io
    import sqlite3

    with sqlite3.connect(litellm_db) as conn:
        keys = {
            t: (a or "", n or "")
            for t, a, n in conn.execute('SELECT token, key_alias, key_name FROM "LiteLLM_VerificationToken"')
        }
        teams = dict(conn.execute('SELECT team_id, team_alias FROM "LiteLLM_TeamTable"').fetchall())
        # deleted keys keep their names (LiteLLM_DeletedVerificationToken), labelled "(deleted)"
        deleted = {
            t: (a or "", n or "")
            for t, a, n in conn.execute('SELECT token, key_alias, key_name FROM "LiteLLM_DeletedVerificationToken"')
        }
    assert deleted and not set(deleted) & set(keys)
    keys.update(deleted)
    assert main(["report", "keys", *window_args(litellm_db), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == [
        "name",
        "label",
        "key_alias",
        "key_name",
        "spend",
        "requests",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "id",
        "cache_read_tokens",
        "cache_creation_tokens",
        "latency_p50_ms",
        "latency_p95_ms",
        "ttft_p50_ms",
        "ttft_p95_ms",
    ]
    assert all(r["id"] == r["name"] for r in rows if r["name"] != "(none)")
    named = [r for r in rows if r["name"] in keys]
    assert len(named) >= len(rows) - 2  # every key but the master key and "(none)" is in the table
    for r in named:
        alias, key_name = keys[r["name"]]
        assert (r["key_alias"], r["key_name"]) == (alias, key_name)
        assert r["label"] == (alias or key_name) + (" (deleted)" if r["name"] in deleted else "") and r["label"]
    master = [r for r in rows if r["name"] == "litellm_proxy_master_key"]
    assert all(r["label"] == "master key" for r in master)
    doc = run_json(capsys, "report", "keys", *window_args(litellm_db))
    for r in doc["rows"]:
        if r["name"] in keys:
            assert (r["key_alias"], r["key_name"]) == tuple(v or None for v in keys[r["name"]])
    doc = run_json(capsys, "report", "teams", *window_args(litellm_db))
    assert {r["name"]: r["label"] for r in doc["rows"] if r["name"] in teams} == {
        r["name"]: teams[r["name"]] or r["name"] for r in doc["rows"] if r["name"] in teams
    }
    assert any(r["label"] != r["name"] for r in doc["rows"])  # the demo's teams have aliases
    assert all("key_alias" not in r for r in doc["rows"])
    # users: the alias from LiteLLM_UserTable beside the id
    with sqlite3.connect(litellm_db) as conn:
        users = dict(conn.execute('SELECT user_id, user_alias FROM "LiteLLM_UserTable"').fetchall())
    conn.close()
    doc = run_json(capsys, "report", "users", *window_args(litellm_db))
    named = [r for r in doc["rows"] if r["id"] in users]
    assert named and all(r["label"] == (users[r["id"]] or r["id"]) for r in named)
    assert any(r["label"] != r["id"] for r in named)  # the demo's users have aliases


def test_no_latency_skips_the_aggregate_and_keeps_the_fields(capsys, litellm_db) -> None:
    """`--no-latency` (before or after the command): the same rows, the latency fields
    null, nothing said about it; a kind without latency refuses the flag."""
    with_latency = run_json(capsys, "report", "teams", *window_args(litellm_db))
    without = run_json(capsys, "--no-latency", "report", "teams", *window_args(litellm_db))
    fields = ("latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms")
    assert any(r["latency_p50_ms"] is not None for r in with_latency["rows"])
    assert all(r[f] is None for r in without["rows"] for f in fields)
    strip = lambda doc: [{k: v for k, v in r.items() if k not in fields} for r in doc["rows"]]  # noqa: E731
    assert strip(with_latency) == strip(without)
    assert main(["report", "tags", "--no-latency", *window_args(litellm_db)]) == 2
    assert "--no-latency only applies to" in capsys.readouterr().err
