"""Bad data and bad locations: a clear message or a counted skip, never a traceback."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from spendtui.cli import main
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import mask_url, parse_database_url
from spendtui.timeutil import fixed_clock
from tests.helpers import FIXED_NOW, create_pg_database, load_real_schema, locked_copy

ARGS = ["--start", "2026-11-01", "--end", "2026-11-27", "--format", "json"]


def make_db(path: Path, rows: list[tuple], extra_ddl: str = "", time_type: str = "TEXT") -> str:
    conn = sqlite3.connect(path)
    conn.execute(
        f'CREATE TABLE "LiteLLM_SpendLogs" (request_id TEXT PRIMARY KEY, "startTime" {time_type}, '
        "model_group TEXT, api_key TEXT, spend REAL, prompt_tokens INTEGER, completion_tokens INTEGER, "
        "total_tokens INTEGER, request_tags TEXT)"
    )
    conn.executemany('INSERT INTO "LiteLLM_SpendLogs" VALUES (?,?,?,?,?,?,?,?,?)', rows)
    if extra_ddl:
        conn.executescript(extra_ddl)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def report(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_bad_spend_rows_are_skipped_and_counted(capsys, tmp_path) -> None:
    rows = [
        ("a", "2026-11-20 10:00:00", "m", "k", 1.25, 1, 1, 2, "[]"),
        ("b", "2026-11-20 11:00:00", "m", "k", None, 1, 1, 2, "[]"),
        ("c", "2026-11-20 12:00:00", "m", "k", -3.0, 1, 1, 2, "[]"),
        ("d", "2026-11-20 13:00:00", "m", "k", "abc", 1, 1, 2, "[]"),
        ("e", "2026-11-20 14:00:00", "m", "k", 1e300, 1, 1, 2, "[]"),
        ("f", "2026-11-20 15:00:00", "m", "k", 0.000000123, 1, 1, 2, "[]"),
    ]
    url = make_db(tmp_path / "bad.db", rows)
    code, out, err = report(capsys, "report", "spend", "--db", url, *ARGS)
    assert code == 0
    doc = json.loads(out)
    assert doc["total"]["requests"] == 2
    assert doc["total"]["spend"] == 1.250000  # 1.25 + 0.000000123 rounds to 6 decimals
    assert "4 rows skipped: spend missing, negative, NaN or absurd" in err


def test_token_counts_that_are_not_integers(capsys, tmp_path) -> None:
    """SQLite keeps whatever a writer puts in an INTEGER column: REALs (3.7, 9e999 as Inf),
    text, huge and negative numbers. The load and the polls never crash on them."""
    good = [("a", "2026-11-20 10:00:00", "m", "k", 1.0, 10, 20, 30, "[]")]
    odd = [
        ("b", "2026-11-21 10:00:00", "m", "k", 1.0, 9e999, 1, 2, "[]"),
        ("c", "2026-11-22 10:00:00", "m", "k", 1.0, 3.7, 1, 2, "[]"),
        ("d", "2026-11-23 10:00:00", "m", "k", 1.0, "1e999999999", 1, 2, "[]"),
        ("e", "2026-11-24 10:00:00", "m", "k", 1.0, "lots", -5, 2, "[]"),
    ]
    url = make_db(tmp_path / "tokens.db", good + odd)
    code, out, err = report(capsys, "report", "daily", "--db", url, *ARGS)
    assert code == 0, err
    days = {r["name"]: r for r in json.loads(out)["rows"] if r["requests"]}
    assert len(days) == 5 and all(r["spend"] == 1.0 for r in days.values())
    assert (days["2026-11-20"]["prompt_tokens"], days["2026-11-20"]["completion_tokens"]) == (10, 20)
    assert days["2026-11-21"]["prompt_tokens"] == 0  # Inf: unusable, read as 0
    assert days["2026-11-22"]["prompt_tokens"] == 3
    assert days["2026-11-24"]["completion_tokens"] == -5  # kept, as SQL sums it
    # the same rows through a poll (raw rows, not SQL sums)
    engine = SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(FIXED_NOW))
    engine.load(engine.today() - 1)
    with sqlite3.connect(tmp_path / "tokens.db") as conn:
        conn.executemany(
            'INSERT INTO "LiteLLM_SpendLogs" VALUES (?,?,?,?,?,?,?,?,?)',
            [(f"p{r[0]}", "2026-11-27 11:00:00", *r[2:]) for r in good + odd],
        )
    assert engine.refresh(deep=True).rows == 5
    engine.close()


def test_request_tags_that_are_not_lists(capsys, tmp_path) -> None:
    rows = [
        ("a", "2026-11-20 10:00:00", "m", "k", 1.0, 0, 0, 0, '["project:x", "env:prod"]'),
        ("b", "2026-11-20 10:00:00", "m", "k", 2.0, 0, 0, 0, "not json"),
        ("c", "2026-11-20 10:00:00", "m", "k", 4.0, 0, 0, 0, '{"project": "x"}'),
        ("d", "2026-11-20 10:00:00", "m", "k", 8.0, 0, 0, 0, '["project:x", 7, null]'),
        ("e", "2026-11-20 10:00:00", "m", "k", 16.0, 0, 0, 0, None),
        ("f", "2026-11-20 10:00:00", "m", "k", 32.0, 0, 0, 0, "null"),
        ("g", "2026-11-20 10:00:00", "m", "k", 64.0, 0, 0, 0, "  "),
    ]
    url = make_db(tmp_path / "tags.db", rows)
    code, out, err = report(capsys, "report", "tags", "--db", url, *ARGS)
    assert code == 0
    got = {r["name"]: r["spend"] for r in json.loads(out)["rows"]}
    assert got == {
        "project:x": 9.0,
        "env:prod": 1.0,
        "(unreadable tags)": 14.0,  # b, c, and d (which also keeps its readable tag)
        "(untagged)": 112.0,
    }
    assert json.loads(out)["total"]["spend"] == 127.0
    assert "3 rows with unreadable request_tags" in err


def test_timestamps_with_and_without_zones(capsys, tmp_path) -> None:
    rows = [
        ("a", "2026-11-20 10:00:00.123", "m", "k", 1.0, 0, 0, 0, "[]"),
        ("b", "2026-11-20T10:00:00Z", "m", "k", 2.0, 0, 0, 0, "[]"),
        ("c", "2026-11-20T23:30:00-05:00", "m", "k", 4.0, 0, 0, 0, "[]"),  # 2026-11-21 04:30 UTC
        ("d", "2026-11-21 00:30:00+02:00", "m", "k", 8.0, 0, 0, 0, "[]"),  # 2026-11-20 22:30 UTC
        ("e", 1795161600, "m", "k", 16.0, 0, 0, 0, "[]"),  # epoch seconds: 2026-11-20 08:00 UTC
        ("f", "yesterday-ish", "m", "k", 32.0, 0, 0, 0, "[]"),
        ("g", None, "m", "k", 64.0, 0, 0, 0, "[]"),
        # 23 characters, like LiteLLM's own form, but ending in Z (UTC) or a zone SQLite
        # cannot read: the fast path of the day rule must not slice the second
        ("h", "2026-11-20 23:59:59.99Z", "m", "k", 128.0, 0, 0, 0, "[]"),
        ("i", "2026-11-21 00:30:00 +02", "m", "k", 256.0, 0, 0, 0, "[]"),
    ]
    # DATETIME has NUMERIC affinity, so the epoch number stays a number, as in the wild
    url = make_db(tmp_path / "ts.db", rows, time_type="DATETIME")
    code, out, err = report(capsys, "report", "daily", "--db", url, *ARGS)
    assert code == 0
    days = {r["name"]: r["spend"] for r in json.loads(out)["rows"] if r["requests"]}
    assert days == {"2026-11-20": 1.0 + 2.0 + 8.0 + 16.0 + 128.0, "2026-11-21": 4.0}
    assert "3 rows skipped: unreadable timestamp" in err


def test_missing_table_and_missing_columns(capsys, tmp_path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE other (x)").connection.close()
    code, _, err = report(capsys, "report", "models", "--db", f"sqlite:///{empty}")
    assert code == 3
    assert "no LiteLLM_SpendLogs table" in err and "Traceback" not in err
    nospend = tmp_path / "nospend.db"
    conn = sqlite3.connect(nospend)
    conn.execute('CREATE TABLE "LiteLLM_SpendLogs" (request_id TEXT, "startTime" TEXT)')
    conn.close()
    code, _, err = report(capsys, "report", "models", "--db", f"sqlite:///{nospend}")
    assert code == 3 and "has no spend column" in err
    minimal = tmp_path / "minimal.db"
    conn = sqlite3.connect(minimal)
    conn.execute('CREATE TABLE "LiteLLM_SpendLogs" (request_id TEXT, "startTime" TEXT, spend REAL)')
    conn.execute("INSERT INTO \"LiteLLM_SpendLogs\" VALUES ('x', '2026-11-20 10:00:00', 0.5)")
    conn.commit()
    conn.close()
    code, out, err = report(capsys, "report", "models", "--db", f"sqlite:///{minimal}", *ARGS)
    assert code == 0
    # no duration columns: the latency is null, and stderr says why
    assert (
        'no latency: this database\'s LiteLLM_SpendLogs has neither request_duration_ms nor "startTime" and "endTime"'
        in err
    )
    assert json.loads(out)["rows"] == [
        {
            "id": None,
            "name": "(none)",
            "label": "(none)",
            "spend": 0.5,
            "requests": 1,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "cache_read_tokens": 0,
            "cache_creation_tokens": 0,
            "latency_p50_ms": None,
            "latency_p95_ms": None,
            "ttft_p50_ms": None,
            "ttft_p95_ms": None,
        }
    ]


def test_not_a_database_and_missing_file(capsys, tmp_path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    code, _, err = report(capsys, "report", "spend", "--db", f"sqlite:///{junk}")
    assert code == 3 and "not a SQLite database" in err
    code, _, err = report(capsys, "report", "spend", "--db", str(tmp_path / "nope.db"))
    assert code == 3 and "no SQLite database at" in err


def test_locked_sqlite_gives_a_clear_retryable_error(tmp_path, litellm_db) -> None:
    from spendtui.errors import SourceUnavailable

    with locked_copy(litellm_db, tmp_path) as db:
        source = DatabaseSource(parse_database_url(str(db)), busy_timeout=0.2)
        engine = SpendEngine(source, clock=fixed_clock(FIXED_NOW))
        with pytest.raises(SourceUnavailable, match="locked"):
            engine.load(engine.today() - 3)
    engine.load(engine.today() - 3)  # once the writer is gone, the same engine works
    assert engine.query.totals(None).requests > 0


def test_bad_urls(capsys) -> None:
    code, _, err = report(capsys, "report", "spend", "--db", "mysql://u:p@h/db")
    assert code == 2 and "unsupported database URL scheme" in err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = report(capsys, "report", "spend", "--db", f"postgresql://u:secretpw@127.0.0.1:{port}/db")
    assert code == 3
    assert err.count("\n") == 1 and "secretpw" not in err and "127.0.0.1" in err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cr3t@h:5432/db", "postgresql://u:***@h:5432/db"),
        # an unquoted '@' in the password must not leave its tail visible
        ("postgresql://u:s3c@r3t@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db?password=s3cr3t", "postgresql://u@h/db?password=***"),
        (
            "postgresql://u@h/db?sslmode=require&sslpassword=s3cr3t&passfile=/home/u/.pgpass",
            "postgresql://u@h/db?sslmode=require&sslpassword=***&passfile=/home/u/.pgpass",
        ),
        ("postgresql://u@h/db?PassWord=s3cr3t;x=1", "postgresql://u@h/db?PassWord=***;x=1"),
        ("postgresql://u@h/db?pass%77ord=s3cr3t", "postgresql://u@h/db?pass%77ord=***"),
        ("postgresql://u:a@h/db?password=s3cr3t#frag", "postgresql://u:***@h/db?password=***#frag"),
        ("sqlite:////tmp/s3cr3t.db", "sqlite:////tmp/s3cr3t.db"),  # a path is not a secret
    ],
)
def test_mask_url_hides_passwords_in_user_info_and_query(url, shown) -> None:
    assert mask_url(url) == shown


def test_query_parameter_passwords_never_reach_display_or_identity() -> None:
    raw = "postgresql://u@db.example:5432/litellm?password=s3cr3t&sslpassword=s3cr3t2&passfile=/pf&sslmode=require"
    target = parse_database_url(raw)
    assert "password=s3cr3t" in target.url  # the driver still gets it...
    source = DatabaseSource(target)
    for text in (target.display(), source.display, source.identity(), repr(target.display())):
        assert "s3cr3t" not in text  # ...nothing meant for people does
        assert "db.example:5432/litellm" in text and "passfile=%2Fpf" in text


@pytest.mark.postgres
def test_postgres_wrong_password_and_nan_spend(capsys) -> None:
    import psycopg

    url = create_pg_database("spendtui_test_bad")
    load_real_schema(url)
    with psycopg.connect(url) as conn:
        for rid, spend in (("a", 1.5), ("b", float("nan")), ("c", -1.0), ("d", float("inf"))):
            conn.execute(
                'INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, spend, "startTime", "endTime", '
                "request_tags) VALUES (%s, 'acompletion', %s, '2026-11-20 10:00', '2026-11-20 10:00', %s)",
                (rid, spend, json.dumps(["x"])),
            )
        conn.commit()
    code, out, err = report(capsys, "report", "spend", "--db", url, *ARGS)
    assert code == 0, err
    assert json.loads(out)["total"] == {
        "spend": 1.5,
        "requests": 1,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "cache_read_tokens": 0,
        "cache_creation_tokens": 0,
    }
    assert "3 rows skipped" in err
    wrong = url.replace("spendtui:spendtui@", "spendtui:wrongpass@")
    code, _, err = report(capsys, "report", "spend", "--db", wrong)
    assert code == 3 and "authentication failed" in err and "wrongpass" not in err


def test_python_dash_m_and_exit_codes(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "spendtui", "report", "spend", "--db", str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "SPENDTUI_CONFIG": str(tmp_path / "c.yaml")},
    )
    assert run.returncode == 3 and run.stderr.startswith("spendtui: ")
    run = subprocess.run([sys.executable, "-m", "spendtui", "report", "nonsense"], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "spendtui",
            "report",
            "models",
            "--start",
            "2026-13-01",
            "--db",
            str(tmp_path / "x.db"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "YYYY-MM-DD" in run.stderr


def test_dashboard_without_a_terminal_says_so_instead_of_hanging(tmp_path) -> None:
    """Piped or under cron, the dashboard would draw into a pipe and wait for keys forever."""
    run = subprocess.run(
        [sys.executable, "-m", "spendtui", "--db", str(tmp_path / "none.db")],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SPENDTUI_CONFIG": str(tmp_path / "c.yaml")},
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        "spendtui: the dashboard needs a terminal (stdin and stdout are not one); "
        "for scripts use spendtui report, spendtui check or spendtui keys list\n"
    )
    assert run.stdout == ""
