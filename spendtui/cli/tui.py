"""The dashboard command (the default when no subcommand is given)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from spendtui.cli.common import config_from_args
from spendtui.cli.flags import add_allow_db_writes, add_source_flags, flag
from spendtui.config import Config, Profile
from spendtui.dashboard.state import WINDOWS, ViewState
from spendtui.errors import UsageError

if TYPE_CHECKING:
    from textual.app import App

    from spendtui.tui.launch import Launch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_flags(parser)
    group = parser.add_argument_group("dashboard")
    flag(
        group,
        "--demo",
        action="store_true",
        default=False,
        help="run on a freshly generated demo database with live simulated traffic",
    )
    flag(
        group,
        "--demo-db",
        metavar="PATH",
        help="with --demo (implied): write the demo database to PATH and keep it after the dashboard exits "
        "(an earlier demo database there is replaced; any other file is refused)",
    )
    flag(
        group,
        "--demo-rate",
        type=float,
        default=4.0,
        metavar="N",
        help="simulated requests per second in the demo (0 to 1000, default 4)",
    )
    flag(group, "--refresh", type=float, metavar="SECONDS", help="refresh interval (min 1, default 2)")
    flag(group, "--window", choices=WINDOWS, default="30d", help="initial time window (default 30d)")
    flag(group, "--no-mouse", action="store_true", default=False, help="do not capture the mouse")
    add_allow_db_writes(
        group,
        "let the dashboard create, change, block and delete keys straight in the database when no proxy "
        "is configured (the demo database always allows it)",
    )


#: Source flags that choose what to read: the demo reads its own database instead.
_SOURCE_DESTS = {
    "profile": "--profile",
    "database_url": "--db",
    "proxy_url": "--proxy",
    "api_key": "--key",
    "history": "--history",
    "insecure": "--insecure",
}


def demo_launch(
    config: Config, rate: float, view: ViewState, refresh: float, mouse: bool, keep: Path | None = None
) -> Launch:
    """A Launch that generates a demo database and simulates traffic into it: in a
    temporary directory removed on exit, or at ``keep``, which is left in place."""
    from spendtui.dashboard.session import uncached_engine_factory
    from spendtui.demo.simulator import Simulator, prepare_demo
    from spendtui.tui.launch import Launch

    workdir: Path | None = None
    if keep is not None:
        path = keep
    else:
        workdir = Path(tempfile.mkdtemp(prefix="spendtui-demo-"))
        path = workdir / "demo.db"
    holder: dict[str, Simulator] = {}

    def prepare() -> Profile:
        world = prepare_demo(path)
        simulator = Simulator(path, world=world, rate=rate)
        simulator.start()
        holder["sim"] = simulator
        # the demo database is a throwaway: creating, editing, blocking and deleting keys work
        return Profile(name="demo", database_url=f"sqlite:///{path}", allow_db_writes=True)

    def cleanup() -> None:
        if "sim" in holder:
            holder["sim"].stop()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            _self_contained(path)

    from spendtui.demo.rules import DEMO_RULES

    demo_config = Config(
        path=config.path,
        profiles={},
        active=Profile(name="demo"),
        refresh_interval=config.refresh_interval,
        rules=list(DEMO_RULES),
    )
    return Launch(
        config=demo_config,
        state=view,
        refresh=refresh,
        mouse=mouse,
        prepare=prepare,
        cleanup=cleanup,
        engine_factory=uncached_engine_factory,
        source_label=f"the demo database ({rate:g} simulated requests/s)",
        key_target="the demo database",
    )


def _self_contained(path: Path) -> None:
    """Fold the kept demo database's WAL back into the file (one file to copy or open later)."""
    import sqlite3

    try:
        conn = sqlite3.connect(path, timeout=2)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # still in use: SQLite folds the WAL in when the last connection closes


def _demo_path(args: argparse.Namespace) -> Path | None:
    """The checked ``--demo-db`` path, or None; refuses source flags the demo would ignore."""
    if not (0 <= args.demo_rate <= 1000):  # also refuses nan
        raise UsageError(f"--demo-rate {args.demo_rate:g}: must be between 0 and 1000 requests per second")
    if not (args.demo or args.demo_db):
        return None
    given = [option for dest, option in _SOURCE_DESTS.items() if getattr(args, dest, None)]
    if given:
        raise UsageError(
            f"{given[0]} does not apply with --demo{'-db' if args.demo_db and not args.demo else ''}: "
            "the demo reads its own generated database (drop one of them)"
        )
    if not args.demo_db:
        return None
    from spendtui.demo.generator import check_replaceable

    path = Path(args.demo_db).expanduser()
    check_replaceable(path)
    if not path.parent.is_dir():
        raise UsageError(f"--demo-db {args.demo_db}: directory {path.parent} does not exist")
    return path


def run(args: argparse.Namespace) -> int:
    keep = _demo_path(args)
    config = config_from_args(args)  # a bad flag or config file is said first, terminal or not
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Textual would draw into a pipe or file and wait for keys that never come
        raise UsageError(
            "the dashboard needs a terminal (stdin and stdout are not one); for scripts use "
            "spendtui report, spendtui check or spendtui keys list"
        )
    from spendtui.tui.app import SpendApp
    from spendtui.tui.launch import Launch

    view = ViewState(window=args.window)
    mouse = not args.no_mouse and config.mouse
    refresh = config.refresh_interval
    if args.demo or keep is not None:
        launch = demo_launch(config, args.demo_rate, view, refresh, mouse, keep=keep)
    else:
        launch = Launch(
            config=config,
            state=view,
            refresh=refresh,
            mouse=mouse,
            demo_factory=lambda: demo_launch(config, args.demo_rate, view, refresh, mouse),
        )
    app = SpendApp(launch)
    if config.theme:
        app.theme = config.theme
    try:
        result = app.run(mouse=mouse)
    finally:
        if launch.cleanup is not None and not app.is_running:
            launch.cleanup()
        if keep is not None:
            _say_kept(keep)
    return exit_status(app, result)


def exit_status(app: App[int], result: int | None) -> int:
    """The dashboard's exit code: what it exited with, and 1 when it stopped on an
    unhandled error (Textual records that in ``return_code``; ``run`` then returns None,
    which used to make a crash exit 0)."""
    if app.return_code:
        return app.return_code
    return int(result or 0)


def _say_kept(path: Path) -> None:
    from spendtui.demo.generator import is_demo_database

    if is_demo_database(path):
        print(f"demo database kept at {path} (open it again with: spendtui --db sqlite:///{path.resolve()})")
