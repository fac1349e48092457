"""``spendtui demo-db``: write a deterministic demo database."""

from __future__ import annotations

import argparse
import time
from datetime import datetime

from spendtui.cli.flags import Parser, command
from spendtui.errors import UsageError
from spendtui.timeutil import parse_timestamp


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "demo-db",
        help="write a deterministic demo SQLite database",
        description="Write a LiteLLM-shaped SQLite database of realistic, deterministic spend.",
        epilog="An existing file at PATH is replaced only if it is a demo database spendtui wrote "
        "(marked with its own SQLite application id) or empty; any other file is left untouched "
        "and the command exits 2.",
    )
    p.add_argument("path", help="file to write (an earlier demo database there is replaced; nothing else is)")
    p.add_argument("--rows", type=int, default=200_000, help="request rows (default 200000)")
    p.add_argument("--days", type=int, default=90, help="days of history up to now (default 90)")
    p.add_argument(
        "--layout",
        choices=("litellm", "compact"),
        default="litellm",
        help="LiteLLM's own tables (default) or the compact two-table layout",
    )
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.add_argument("--now", metavar="ISO", help="pretend the current time is this UTC moment")
    command(p, run)


def run(args: argparse.Namespace) -> int:
    from spendtui.demo.generator import check_replaceable, create_demo_db

    if args.rows < 0:
        raise UsageError("--rows must be zero or more")
    if not 1 <= args.days <= 3660:
        raise UsageError("--days must be between 1 and 3660")
    now: datetime | None = None
    if args.now:
        now = parse_timestamp(args.now)
        if now is None:
            raise UsageError(f"--now {args.now!r} is not an ISO timestamp")
    check_replaceable(args.path)
    started = time.perf_counter()
    try:
        create_demo_db(args.path, rows=args.rows, days=args.days, layout=args.layout, seed=args.seed, now=now)
    except OSError as exc:
        raise UsageError(f"cannot write {args.path}: {exc.strerror or exc}") from None
    print(
        f"wrote {args.rows:,} rows ({args.layout} layout, {args.days} days) to {args.path} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0
