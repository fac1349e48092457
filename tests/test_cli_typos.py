"""A typo gets a warning naming close matches and a non-zero exit, never silent zeros.

``report user NAME`` and ``report tags --tag-prefix CATEGORY`` for a name the data does
not know print the (empty) report, warn on stderr and exit 1; a name the data knows
exits 0 without a warning, even when its answer is zero.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from spendtui.cli import main

START, END = date(2026, 10, 28), date(2026, 11, 27)


def args(db) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--db", f"sqlite:///{db}", "--start", START.isoformat(), "--end", END.isoformat()]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def sql(db, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute(query, (START.isoformat(),)))


def users(db) -> list[str]:  # type: ignore[no-untyped-def]
    """Users with a request from START on (what `report` reads), by SQL."""
    return sql(db, 'SELECT DISTINCT "user" FROM "LiteLLM_SpendLogs" WHERE "startTime" >= ? AND "user" <> \'\'')


def categories(db) -> list[str]:  # type: ignore[no-untyped-def]
    return sql(
        db,
        "SELECT DISTINCT substr(j.value, 1, instr(j.value, ':') - 1) FROM \"LiteLLM_SpendLogs\", "
        "json_each(request_tags) AS j WHERE \"startTime\" >= ? AND instr(j.value, ':') > 1",
    )


def test_unknown_user_warns_with_close_matches_and_exits_1(capsys, litellm_db) -> None:
    known = users(litellm_db)
    typo = known[0] + "x"
    assert typo not in known
    code, out, err = run(capsys, "report", "user", typo, *args(litellm_db), "--format", "json")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("spendtui: warning:")
    assert repr(typo) in err and f"did you mean {known[0]!r}" in err
    doc = json.loads(out)  # the report is still printed: zero requests is what the data says
    assert doc["user"] == typo and doc["total"]["requests"] == 0


def test_a_name_with_nothing_close_lists_where_to_look(capsys, litellm_db) -> None:
    code, out, err = run(capsys, "report", "user", "zzzzzzzzzzzz", *args(litellm_db))
    assert code == 1 and "did you mean" not in err
    assert "zzzzzzzzzzzz" in err and "spendtui report users" in err
    assert out.startswith("user zzzzzzzzzzzz:")


def test_known_user_exits_0_without_warning(capsys, litellm_db) -> None:
    user = users(litellm_db)[0]
    code, out, err = run(capsys, "report", "user", user, *args(litellm_db), "--format", "json")
    assert code == 0 and err == ""
    assert json.loads(out)["total"]["requests"] > 0


def test_unknown_tag_category_lists_the_known_ones_and_exits_1(capsys, litellm_db) -> None:
    known = categories(litellm_db)
    assert "project" in known and "nosuch" not in known
    code, out, err = run(capsys, "report", "tags", "--tag-prefix", "nosuch", *args(litellm_db), "--format", "json")
    assert code == 1 and err.count("\n") == 1
    assert "nosuch:" in err and f"(tag categories: {', '.join(known)})" in err
    rows = {r["name"] for r in json.loads(out)["rows"]}
    assert rows == {"(no nosuch)", "(untagged)"}  # never "(untagged)" for tagged requests
    code, _, err = run(capsys, "report", "tags", "--tag-prefix", "projet", *args(litellm_db))
    assert code == 1 and "did you mean 'project'?" in err


def test_known_tag_category_exits_0_without_warning(capsys, litellm_db) -> None:
    code, _, err = run(capsys, "report", "tags", "--tag-prefix", "project", *args(litellm_db))
    assert code == 0 and err == ""


def test_report_help_documents_exit_1() -> None:
    import subprocess
    import sys

    run_ = subprocess.run(
        [sys.executable, "-m", "spendtui", "report", "--help"], capture_output=True, text=True, timeout=60
    )
    assert run_.returncode == 0
    assert "  1  `report user USER_ID`: no request from that user" in run_.stdout
    assert "(no CATEGORY)" in run_.stdout
