"""Flags before and after a command: honoured wherever the help shows them, or refused.

Every test runs the real CLI in a subprocess (``python -m spendtui``) against a real demo
SQLite database and a real config file. A source flag given before a command used to be
dropped (argparse copied the sub-parser's default None over it); a dashboard flag given
with a command was silently ignored.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import FIXED_NOW, spendtui
from tests.truth import Truth

START, END = date(2026, 10, 28), date(2026, 11, 27)
WINDOW = ["--start", START.isoformat(), "--end", END.isoformat()]
NOW = FIXED_NOW.isoformat()


def placed(where: str, command: list[str], flags: list[str]) -> list[str]:
    """``flags`` before the command (``spendtui --db X report spend``), after it, or
    between ``keys`` and its action (``spendtui keys --db X list``)."""
    if where == "before":
        return [*flags, *command]
    if where == "between":
        return [command[0], *flags, *command[1:]]
    return [*command, *flags]


@pytest.fixture
def config(tmp_path: Path, litellm_db: Path) -> Path:
    """A profile reading the demo database and a plan that is over budget."""
    path = tmp_path / "budgets.yaml"
    doc = {
        "profiles": {"demo": {"database_url": f"sqlite:///{litellm_db}"}},
        "budgets": [{"name": "tiny", "amount": 0.01, "period": "monthly"}],
    }
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("where", ["before", "after"])
def test_report_honours_db_and_config_on_either_side(where, litellm_db, config) -> None:
    total = Truth(f"sqlite:///{litellm_db}").total(START, END)
    for flags in (["--db", f"sqlite:///{litellm_db}"], ["--config", str(config)]):
        run = spendtui(*placed(where, ["report", "spend", *WINDOW, "--format", "json"], flags))
        assert run.returncode == 0, (flags, run.stderr)
        doc = json.loads(run.stdout)
        assert abs(doc["total"]["spend"] - total[0]) <= 1e-6 and doc["total"]["requests"] == total[1]


@pytest.mark.parametrize("where", ["before", "after"])
def test_check_reads_the_config_given_on_either_side(where, config) -> None:
    run = spendtui(*placed(where, ["check", "--now", NOW, "--format", "json"], ["--config", str(config)]))
    assert run.returncode == 2, run.stderr  # exceeded: the plan in the file was read
    doc = json.loads(run.stdout)
    assert any(b["name"] == "tiny" and b["level"] == "exceeded" for b in doc["budgets"]), doc


@pytest.mark.parametrize("where", ["before", "between", "after"])
def test_keys_list_honours_db_on_either_side(where, litellm_db) -> None:
    run = spendtui(
        *placed(where, ["keys", "list", "--format", "json", "--now", NOW], ["--db", f"sqlite:///{litellm_db}"])
    )
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(litellm_db) as conn:
        (count,) = conn.execute('SELECT count(*) FROM "LiteLLM_VerificationToken"').fetchone()
    assert len(json.loads(run.stdout)["keys"]) == count > 0


@pytest.mark.parametrize("where", ["before", "between", "after"])
def test_keys_create_honours_allow_db_writes_and_db_on_either_side(where, litellm_db, tmp_path) -> None:
    db = tmp_path / "writable.db"
    shutil.copy(litellm_db, db)
    flags = ["--db", f"sqlite:///{db}", "--allow-db-writes"]
    run = spendtui(*placed(where, ["keys", "create", "--alias", f"made-{where}", "--format", "json"], flags))
    assert run.returncode == 0, run.stderr
    token = json.loads(run.stdout)["token"]
    with sqlite3.connect(db) as conn:
        row = conn.execute('SELECT key_alias FROM "LiteLLM_VerificationToken" WHERE token = ?', (token,)).fetchone()
    assert row == (f"made-{where}",)
    # without the opt-in, on either side, the write is refused and nothing is written
    run = spendtui(*placed(where, ["keys", "create", "--alias", "refused"], ["--db", f"sqlite:///{db}"]))
    assert run.returncode == 2 and "--allow-db-writes" in run.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            "SELECT count(*) FROM \"LiteLLM_VerificationToken\" WHERE key_alias = 'refused'"
        ).fetchone() == (0,)


def test_a_flag_given_before_and_after_the_command_the_one_after_wins(litellm_db, tmp_path) -> None:
    good, missing = f"sqlite:///{litellm_db}", f"sqlite:///{tmp_path / 'missing.db'}"
    run = spendtui("--db", missing, "report", "spend", *WINDOW, "--db", good)
    assert run.returncode == 0, run.stderr
    run = spendtui("--db", good, "report", "spend", *WINDOW, "--db", missing)
    assert run.returncode == 3 and "missing.db" in run.stderr


def test_profile_before_and_config_after_are_both_honoured(litellm_db, config) -> None:
    run = spendtui("--profile", "demo", "report", "spend", *WINDOW, "--config", str(config), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["total"]["requests"] == Truth(f"sqlite:///{litellm_db}").total(START, END)[1]
    run = spendtui("--profile", "nope", "report", "spend", "--config", str(config))
    assert run.returncode == 2 and "no profile named 'nope'" in run.stderr


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--demo", "report", "spend"], "--demo"),
        (["--window", "7d", "report", "spend"], "--window"),
        (["--refresh", "5", "check"], "--refresh"),
        (["--no-mouse", "keys", "list"], "--no-mouse"),
        (["--demo-rate", "2", "demo-db", "{tmp}/x.db", "--rows", "5"], "--demo-rate"),
        (["--demo-db", "{tmp}/x.db", "report", "spend"], "--demo-db"),
        (["--allow-db-writes", "report", "spend"], "--allow-db-writes"),
        (["--allow-db-writes", "keys", "list"], "--allow-db-writes"),
        (["--allow-db-writes", "check"], "--allow-db-writes"),
        (["keys", "--allow-db-writes", "list"], "--allow-db-writes"),
        (["--db", "sqlite:///{tmp}/y.db", "demo-db", "{tmp}/x.db", "--rows", "5"], "--db"),
        (["--config", "{tmp}/c.yaml", "demo-db", "{tmp}/x.db", "--rows", "5"], "--config"),
        (["--insecure", "demo-db", "{tmp}/x.db", "--rows", "5"], "--insecure"),
    ],
)
def test_a_flag_the_command_does_not_take_is_refused_not_ignored(argv, flag, tmp_path, litellm_db) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if argv[-1] != "5":
        argv += ["--db", f"sqlite:///{litellm_db}"]  # a source, so that nothing else could fail
    run = spendtui(*argv)
    assert run.returncode == 2, run.stderr
    command = "spendtui " + " ".join(a for a in argv if a in ("report", "check", "keys", "list", "demo-db"))
    assert run.stderr.count("\n") == 1 and flag in run.stderr and f"`{command}`" in run.stderr, run.stderr
    assert run.stdout == "" and not (tmp_path / "x.db").exists()


def test_the_dashboard_takes_allow_db_writes(litellm_db) -> None:
    from spendtui.cli.args import parse_args
    from spendtui.cli.common import config_from_args

    args = parse_args(["--db", f"sqlite:///{litellm_db}", "--allow-db-writes"])
    assert config_from_args(args).active.allow_db_writes is True
    assert config_from_args(parse_args(["--db", f"sqlite:///{litellm_db}"])).active.allow_db_writes is False
    # the real command parses it too (and then needs a terminal)
    run = spendtui("--db", f"sqlite:///{litellm_db}", "--allow-db-writes")
    assert run.returncode == 2 and "needs a terminal" in run.stderr, run.stderr


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["--demo", "--db", "sqlite:///x.db"], "--db does not apply with --demo"),
        (["--demo", "--proxy", "http://localhost:4000"], "--proxy does not apply with --demo"),
        (["--demo-db", "{tmp}/d.db", "--profile", "p"], "--profile does not apply with --demo-db"),
        (["--demo", "--demo-rate", "nan"], "--demo-rate nan: must be between 0 and 1000"),
        (["--demo", "--demo-rate", "-1"], "--demo-rate -1: must be between 0 and 1000"),
        (["--demo", "--refresh", "0.5"], "--refresh: must be at least 1 seconds"),
        (["--demo", "--refresh", "nan"], "--refresh: must be a number of seconds"),
        (["--demo", "--window", "9d"], "argument --window: invalid choice: '9d'"),
        (["--demo-db", "{tmp}/no/such/dir/d.db"], "does not exist"),
    ],
)
def test_bad_dashboard_flags_are_one_line_errors(argv, text, tmp_path) -> None:
    run = spendtui(*[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert run.returncode == 2 and text in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert "needs a terminal" not in run.stderr


def test_help_says_where_flags_go() -> None:
    run = spendtui("--help")
    assert run.returncode == 0
    assert "the one after the command wins" in run.stdout and "--allow-db-writes" in run.stdout
    assert "--demo-db PATH" in run.stdout
    for command in (["report"], ["check"], ["keys", "list"], ["keys", "create"], ["demo-db"]):
        run = spendtui(*command, "--help")
        assert run.returncode == 0, command
        shows_source = "--db URL" in run.stdout
        assert shows_source == (command != ["demo-db"]), command
        assert ("--allow-db-writes" in run.stdout) == (command == ["keys", "create"]), command


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_commands_own_flags_are_honoured_before_it(where, litellm_db) -> None:
    """``spendtui --format json --start … report models`` used to fail with "invalid choice:
    'json'" (the flag's value taken for the command); it now answers as with the flags after."""
    db = ["--db", f"sqlite:///{litellm_db}"]
    run = spendtui(*placed(where, ["report", "models"], ["--format", "json", *WINDOW]), *db)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert (doc["start"], doc["end"]) == (START.isoformat(), END.isoformat())
    assert doc["total"]["requests"] == Truth(f"sqlite:///{litellm_db}").total(START, END)[1]
    run = spendtui(*placed(where, ["keys", "list"], ["--format=json"]), *db)
    assert run.returncode == 0 and json.loads(run.stdout)["count"] > 0, run.stderr
    run = spendtui(*placed(where, ["check"], ["--kind", "team", "--format", "json"]), *db, "--now", NOW)
    assert run.returncode in (0, 1, 2) and {b["kind"] for b in json.loads(run.stdout)["budgets"]} <= {"team"}


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["--bogus", "7", "report", "models"], "unrecognized argument --bogus (before the command `spendtui report`)"),
        (["--format", "csv"], "--format is not a dashboard flag: it belongs to `report`"),
        (["--kind", "team", "--demo"], "--kind is not a dashboard flag: it belongs to `check`"),
    ],
)
def test_an_unknown_flag_before_the_command_is_named(argv, text) -> None:
    run = spendtui(*argv)
    assert run.returncode == 2 and text in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert "invalid choice" not in run.stderr
