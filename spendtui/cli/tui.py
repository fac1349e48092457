"""The dashboard command (the default when no subcommand is given)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from spendtui.cli.args import add_source_flags
from spendtui.cli.common import config_from_args
from spendtui.config import Config, Profile
from spendtui.dashboard.state import WINDOWS, ViewState
from spendtui.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_flags(parser)
    group = parser.add_argument_group("dashboard")
    group.add_argument(
        "--demo",
        action="store_true",
        help="run on a freshly generated demo database with live simulated traffic",
    )
    group.add_argument(
        "--demo-rate",
        type=float,
        default=4.0,
        metavar="N",
        help="simulated requests per second in --demo (default 4)",
    )
    group.add_argument("--refresh", type=float, metavar="SECONDS", help="refresh interval (min 1, default 2)")
    group.add_argument("--window", choices=WINDOWS, default="30d", help="initial time window (default 30d)")
    group.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")


def demo_launch(config: Config, rate: float, view: ViewState, refresh: float, mouse: bool):  # type: ignore[no-untyped-def]
    """A Launch that generates a demo database and simulates traffic into it."""
    from spendtui.demo.simulator import Simulator, prepare_demo
    from spendtui.tui.launch import Launch, uncached_engine_factory

    workdir = Path(tempfile.mkdtemp(prefix="spendtui-demo-"))
    path = workdir / "demo.db"
    holder: dict[str, Simulator] = {}

    def prepare() -> Profile:
        world = prepare_demo(path)
        simulator = Simulator(path, world=world, rate=rate)
        simulator.start()
        holder["sim"] = simulator
        return Profile(name="demo", database_url=f"sqlite:///{path}")

    def cleanup() -> None:
        if "sim" in holder:
            holder["sim"].stop()
        shutil.rmtree(workdir, ignore_errors=True)

    demo_config = Config(
        path=config.path, profiles={}, active=Profile(name="demo"), refresh_interval=config.refresh_interval
    )
    return Launch(
        config=demo_config,
        state=view,
        refresh=refresh,
        mouse=mouse,
        prepare=prepare,
        cleanup=cleanup,
        engine_factory=uncached_engine_factory,
        source_label=f"demo database, {rate:g} simulated requests/s",
    )


def run(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Textual would draw into a pipe or file and wait for keys that never come
        raise UsageError(
            "the dashboard needs a terminal (stdin and stdout are not one); for scripts use "
            "spendtui report, spendtui check or spendtui keys list"
        )
    config = config_from_args(args)
    from spendtui.tui.app import SpendApp
    from spendtui.tui.launch import Launch

    view = ViewState(window=args.window)
    mouse = not args.no_mouse and config.mouse
    refresh = config.refresh_interval
    if args.demo:
        launch = demo_launch(config, args.demo_rate, view, refresh, mouse)
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
    return int(result or 0)
