"""``spendtui check``: exit codes, JSON against SQL, and --notify against a real HTTP server."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import httpx
import pytest

from spendtui.budgets import notify
from spendtui.cli import main
from tests.helpers import FIXED_NOW
from tests.truth import Truth

NOW = FIXED_NOW.isoformat()
TODAY = FIXED_NOW.date()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify, "BACKOFF", 0.0)


def write_config(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps(doc))  # JSON is YAML
    path.chmod(0o600)
    return path


def check(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--db", f"sqlite:///{db}", "--now", NOW, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def month_spend(db: Path) -> float:
    return Truth(f"sqlite:///{db}").total(date(2026, 11, 1), TODAY)[0]


@pytest.mark.parametrize(("share", "code", "level"), [(0.5, 0, "ok"), (0.9, 1, "warning"), (1.25, 2, "exceeded")])
def test_exit_codes_and_json(capsys, tmp_path, litellm_db, share: float, code: int, level: str) -> None:
    spend = month_spend(litellm_db)
    amount = round(spend / share, 2)
    config = write_config(tmp_path, {"budgets": [{"name": "november", "amount": amount, "period": "monthly"}]})
    got, out, _ = check(capsys, litellm_db, "--config", str(config), "--kind", "plan", "--format", "json")
    doc = json.loads(out)
    assert got == code and doc["exit_code"] == code and doc["status"] == level
    assert doc["checked_at"] == "2026-11-27T12:00:00Z"
    if level == "ok":
        assert doc["budgets"] == [] and doc["counts"] == {"ok": 1, "warning": 0, "exceeded": 0}
        return
    [plan] = doc["budgets"]
    assert plan["kind"] == "plan" and plan["name"] == "november" and plan["level"] == level
    assert abs(plan["spend"] - spend) <= 1e-6 and plan["limit"] == amount
    assert abs(plan["percent"] - round(spend / amount * 100, 2)) <= 0.01
    assert plan["window_start"] == "2026-11-01T00:00:00Z" and plan["window_end"] == "2026-12-01T00:00:00Z"
    assert plan["thresholds_crossed"] == ([0.8] if level == "warning" else [0.8, 1])
    assert plan["scope"] == "all spend" and plan["resets_in_seconds"] == 3 * 86400 + 12 * 3600
    assert set(plan["burn_rate_per_hour"]) == {"last_hour", "last_24h", "window_average"}


def test_litellm_budgets_json_matches_sql(capsys, litellm_db) -> None:
    code, out, _ = check(capsys, litellm_db, "--format", "json", "--all")
    doc = json.loads(out)
    assert code == 2 and doc["status"] == "exceeded"
    with sqlite3.connect(litellm_db) as conn:
        teams = dict(conn.execute('SELECT team_id, spend FROM "LiteLLM_TeamTable" WHERE max_budget IS NOT NULL'))
    got = {b["id"]: b for b in doc["budgets"] if b["kind"] == "team"}
    assert set(got) == set(teams)
    for team_id, spend in teams.items():
        assert abs(got[team_id]["spend"] - spend) <= 1e-6
    levels = [b["level"] for b in doc["budgets"]]
    assert levels == sorted(levels, key=["exceeded", "warning", "ok"].index)
    assert sum(doc["counts"].values()) == len(doc["budgets"])


def test_table_output_and_kind_filter(capsys, litellm_db) -> None:
    code, out, _ = check(capsys, litellm_db, "--kind", "team", "--kind", "user")
    lines = out.splitlines()
    assert lines[0].startswith("budgets at 2026-11-27 12:00 UTC:")
    assert lines[2].split()[:4] == ["state", "kind", "name", "spent"]
    rows = lines[4:]
    assert rows and all(r.split()[2] in ("team", "user") for r in rows)
    assert all(r.startswith(("✗ OVER", "▲ WARN")) for r in rows)  # state as text, not colour
    assert code in (1, 2)


def test_unreachable_sources_exit_3_without_leaking_passwords(capsys, tmp_path) -> None:
    assert main(["check", "--db", f"sqlite:///{tmp_path / 'missing.db'}"]) == 3
    assert "no SQLite database" in capsys.readouterr().err
    url = "postgresql://spendtui:hunter2secret@127.0.0.1:1/litellm"
    assert main(["check", "--db", url]) == 3
    err = capsys.readouterr().err
    assert "hunter2secret" not in err and err.count("\n") == 1


def test_bad_arguments_exit_2(capsys, litellm_db) -> None:
    assert main(["check", "--db", f"sqlite:///{litellm_db}", "--now", "yesterday"]) == 2
    assert "--now 'yesterday' is not an ISO timestamp" in capsys.readouterr().err


def test_notify_posts_once_per_window_and_survives_failing_webhooks(capsys, tmp_path, litellm_db, hooks) -> None:
    hooks.script["/flaky"] = [500]  # fails once, then recovers
    hooks.always["/down"] = 500
    config = write_config(
        tmp_path,
        {
            "budget_alerts": [
                {"threshold": 0.8, "webhook": hooks.url("/warn")},
                {"threshold": 1.0, "webhook": hooks.url("/over")},
                {"threshold": 1.0, "webhook": hooks.url("/flaky")},
                {"threshold": 1.0, "webhook": hooks.url("/down")},
                {"threshold": 0.8, "webhook": hooks.url("/both")},
                {"threshold": 1.0, "webhook": hooks.url("/both")},
            ],
            "budgets": [{"name": "tiny daily", "amount": 0.01, "period": "daily"}],
        },
    )
    args = ("--config", str(config), "--kind", "plan", "--notify")
    code, out, err = check(capsys, litellm_db, *args)
    assert code == 2 and "tiny daily" in out
    [warn] = hooks.posts("/warn")
    assert set(warn) == {"text"}
    assert warn["text"].startswith("spendtui (default): 1 budget alert\n")
    assert "plan tiny daily (all spend) crossed 80%" in warn["text"]
    [over] = hooks.posts("/over")
    assert "crossed 100%" in over["text"] and "EXCEEDED" in over["text"]
    assert all(ctype == "application/json" for _, _, ctype in hooks.received)
    assert len(hooks.posts("/flaky")) == 2 and hooks.posts("/flaky")[1] == over  # retried, delivered
    [both] = hooks.posts("/both")  # one message per webhook, one line per budget
    assert "crossed 80%, 100%" in both["text"] and both["text"].count("\n") == 1
    assert len(hooks.posts("/down")) == notify.ATTEMPTS
    assert "webhook 127.0.0.1:" in err and "not delivered after 3 attempt(s): HTTP 500" in err
    assert "/down" not in err  # only the host of a webhook is ever printed
    state = Path(tmp_path / "state" / "spendtui" / "alerts.json")
    assert state.exists() and hooks.url("") not in state.read_text()

    # the same window again: nothing new, except the webhook that never got its alert
    hooks.received.clear()
    code, _, err = check(capsys, litellm_db, *args)
    assert code == 2
    assert [p for p, _, _ in hooks.received] == ["/down"] * notify.ATTEMPTS
    assert "5 already sent in their window" in err

    # another day is another window of a daily plan: sent again
    hooks.received.clear()
    main(["check", "--db", f"sqlite:///{litellm_db}", "--now", "2026-11-26T12:00:00Z", *args])
    capsys.readouterr()
    assert len(hooks.posts("/warn")) == 1 and len(hooks.posts("/over")) == 1


def test_notify_litellm_budget_override(capsys, tmp_path, litellm_db, hooks) -> None:
    _, out, _ = check(capsys, litellm_db, "--kind", "team", "--format", "json")
    team = json.loads(out)["budgets"][0]
    config = write_config(
        tmp_path,
        {
            "alert_thresholds": [1.0],
            "budgets": [
                {
                    "litellm": f"team:{team['name']}",
                    "thresholds": [0.1],
                    "alerts": [{"threshold": 0.1, "webhook": hooks.url("/team")}],
                }
            ],
        },
    )
    check(capsys, litellm_db, "--config", str(config), "--kind", "team", "--notify")
    [post] = hooks.posts("/team")
    assert f"team {team['name']} crossed 10%" in post["text"]


def test_notify_without_alert_channels_says_so(capsys, litellm_db) -> None:
    _, _, err = check(capsys, litellm_db, "--kind", "team", "--notify")
    assert "no alert channel configured" in err


def test_post_webhook_backs_off_and_honours_retry_after(hooks) -> None:
    delays: list[float] = []
    hooks.script["/busy"] = [503, 429]
    with httpx.Client(timeout=5) as client:
        ok, attempts, error = notify.post_webhook(client, hooks.url("/busy"), "hi", backoff=1.0, sleep=delays.append)
        assert (ok, attempts, error) == (True, 3, None)
        assert delays == [1.0, 7.0]  # exponential backoff, then the server's Retry-After
        hooks.always["/gone"] = 404
        assert notify.post_webhook(client, hooks.url("/gone"), "hi", sleep=delays.append) == (
            False,
            1,
            "HTTP 404",
        )
        closed = "http://127.0.0.1:9/hook"  # nothing listens on the discard port
        ok, attempts, error = notify.post_webhook(client, closed, "hi", attempts=2, backoff=0, sleep=delays.append)
        assert not ok and attempts == 2 and error is not None and error.startswith("cannot connect")


def test_notify_rearms_budgets_without_a_window(capsys, tmp_path, compact_db, hooks) -> None:
    """Compact-layout keys never reset: an alert comes again only after the key was seen
    below the threshold (here: its limit raised, then lowered again)."""
    db = tmp_path / "compact.db"
    db.write_bytes(compact_db.read_bytes())
    config = write_config(tmp_path, {"budget_alerts": [{"threshold": 0.8, "webhook": hooks.url("/k")}]})
    args = ("--config", str(config), "--kind", "key", "--notify", "--format", "json")
    _, out, _ = check(capsys, db, *args)
    alerting = json.loads(out)["budgets"]
    assert alerting and all(b["window_start"] is None for b in alerting)
    [first] = hooks.posts("/k")
    assert first["text"].count("\n") == len([b for b in alerting if 0.8 in b["thresholds_crossed"]])
    target = next(b for b in alerting if 0.8 in b["thresholds_crossed"])
    with sqlite3.connect(db) as conn:
        original = conn.execute("SELECT max_budget FROM LiteLLM_VerificationToken WHERE token = ?", (target["id"],))
        max_budget = original.fetchone()[0]
        conn.execute("UPDATE LiteLLM_VerificationToken SET max_budget = 1e6 WHERE token = ?", (target["id"],))
    check(capsys, db, *args)
    assert len(hooks.posts("/k")) == 1  # nothing new: the key is below now, the others were sent
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE LiteLLM_VerificationToken SET max_budget = ? WHERE token = ?", (max_budget, target["id"]))
    check(capsys, db, *args)
    second = hooks.posts("/k")[1]
    assert second["text"].startswith("spendtui (default): 1 budget alert\n") and target["name"] in second["text"]


def test_unreadable_state_file_is_reported_and_replaced(capsys, tmp_path, litellm_db, hooks) -> None:
    state = tmp_path / "state" / "spendtui" / "alerts.json"
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    config = write_config(
        tmp_path,
        {
            "budget_alerts": [{"threshold": 1.0, "webhook": hooks.url("/x")}],
            "budgets": [{"name": "tiny", "amount": 0.01, "period": "daily"}],
        },
    )
    _, _, err = check(capsys, litellm_db, "--config", str(config), "--kind", "plan", "--notify")
    assert "unreadable alert state" in err and len(hooks.posts("/x")) == 1
    assert json.loads(state.read_text())["sent"][0]["budget"] == "plan:tiny"


def test_budget_modules_stay_headless() -> None:
    import subprocess
    import sys

    code = (
        "import importlib, pkgutil, sys\n"
        "import spendtui.budgets as pkg\n"
        "for info in pkgutil.walk_packages(pkg.__path__, 'spendtui.budgets.'):\n"
        "    importlib.import_module(info.name)\n"
        "import spendtui.cli.check\n"
        "tui = ('textual.', 'spendtui.tui')\n"
        "print(sorted(n for n in sys.modules if n == 'textual' or n.startswith(tui)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_kind_filter_leaves_out_notes_about_other_kinds(capsys, litellm_db, tmp_path) -> None:
    """A database without LiteLLM's organization and tag tables (an older LiteLLM): `check
    --kind key` says nothing about them; `--kind organization` and `--kind tag` say why
    they are empty."""
    import shutil

    db = tmp_path / "older.db"
    shutil.copy(litellm_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute('DROP TABLE "LiteLLM_OrganizationTable"')
        conn.execute('DROP TABLE "LiteLLM_TagTable"')
    _, out, _ = check(capsys, db, "--kind", "key", "--all")
    notes = [line for line in out.splitlines() if line.startswith("note:")]
    assert not [n for n in notes if "Organization" in n or "organization" in n or "Tag" in n], notes
    _, out, _ = check(capsys, db, "--kind", "organization", "--all")
    assert "note: no LiteLLM_OrganizationTable table (an older LiteLLM): no organization budgets" in out
    assert "no tag budgets" not in out
    _, out, _ = check(capsys, db, "--kind", "tag", "--kind", "organization", "--all")
    assert "no tag budgets" in out and "no organization budgets" in out


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(capsys, tmp_path, litellm_db, hooks) -> None:
    config = write_config(
        tmp_path,
        {
            "budget_alerts": [{"threshold": 0.8, "webhook": hooks.url("/warn")}],
            "budgets": [{"name": "tiny daily", "amount": 0.01, "period": "daily"}],
        },
    )
    args = ("--config", str(config), "--kind", "plan", "--notify")
    code, _, err = check(capsys, litellm_db, *args, "--dry-run")
    assert code == 2 and hooks.received == []
    assert "would send plan tiny daily (all spend) 80% to webhook 127.0.0.1:" in err
    assert "1 alert(s) would be sent; nothing sent or recorded" in err and "/warn" not in err
    assert not (tmp_path / "state" / "spendtui" / "alerts.json").exists()
    code, _, err = check(capsys, litellm_db, *args)  # the real run sends it, then a dry run has nothing
    assert len(hooks.posts("/warn")) == 1
    code, _, err = check(capsys, litellm_db, *args, "--dry-run")
    assert "0 alert(s) would be sent" in err and len(hooks.received) == 1
    assert main(["check", "--db", f"sqlite:///{litellm_db}", "--dry-run"]) == 2
    assert "--dry-run shows what --notify would send: give both" in capsys.readouterr().err


def test_rules_with_budgets_json_against_sql_and_notified_once(capsys, tmp_path, litellm_db, hooks) -> None:
    """``check`` evaluates the spend rules with the budgets: values equal SQL sums, a firing
    rule makes the exit code 2, ``--notify`` sends each rule event once per period."""
    month = month_spend(litellm_db)
    with sqlite3.connect(litellm_db) as conn:
        (model, requests) = conn.execute(
            'SELECT model_group, count(*) FROM "LiteLLM_SpendLogs" WHERE substr("startTime", 1, 10) = ? '
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            (TODAY.isoformat(),),
        ).fetchone()
    config = write_config(
        tmp_path,
        {
            "rules": [
                {
                    "name": "monthly spend",
                    "measure": "spend",
                    "period": "month",
                    "above": round(month * 0.9, 2),
                    "channels": [{"webhook": hooks.url("/rules")}],
                },
                {
                    "name": "busy model",
                    "measure": "requests",
                    "scope": {"model": model},
                    "period": "day",
                    "above": requests,
                },
            ]
        },
    )
    code, out, _ = check(capsys, litellm_db, "--config", str(config), "--format", "json", "--all")
    doc = json.loads(out)
    got = {r["name"]: r for r in doc["rules"]}
    assert code == 2 and doc["exit_code"] == 2 and doc["rules_firing"] == 1
    assert got["monthly spend"]["state"] == "firing" and abs(got["monthly spend"]["value"] - month) <= 1e-6
    assert got["monthly spend"]["period_key"] == "2026-11" and got["monthly spend"]["threshold"] == round(
        month * 0.9, 2
    )
    assert abs(got["monthly spend"]["over"] - (month - round(month * 0.9, 2))) <= 1e-6
    busy = got["busy model"]
    assert busy["state"] == "ok" and busy["value"] == requests and busy["scope"] == f"model {model}"  # (not above)
    code, out, _ = check(capsys, litellm_db, "--config", str(config), "--format", "json")
    assert [r["name"] for r in json.loads(out)["rules"]] == ["monthly spend"]  # without --all: firing only
    code, out, _ = check(capsys, litellm_db, "--config", str(config), "--kind", "team", "--format", "json")
    assert json.loads(out)["rules"] == []  # --kind narrows to budgets

    code, out, err = check(capsys, litellm_db, "--config", str(config), "--notify", "--dry-run")
    assert "would send rule monthly spend firing to webhook 127.0.0.1:" in err and hooks.received == []
    assert "▲ FIRING  monthly spend: spend of the whole proxy in month 2026-11" in out
    check(capsys, litellm_db, "--config", str(config), "--notify")
    check(capsys, litellm_db, "--config", str(config), "--notify")
    [sent] = hooks.posts("/rules")
    assert sent["text"].startswith("spendtui (default): ▲ rule monthly spend FIRING: spend of the whole proxy")
