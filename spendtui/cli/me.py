"""``spendtui me``: what the key in hand has spent, what is left, when it resets and how
fast it burns, through the proxy, with any key (admin or not)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from spendtui.cli.flags import Parser, add_source_flags, command, whole_number

EPILOG = """\
exit codes (as `spendtui check`, for status bars and scripts):
  0  below every threshold
  1  a warning threshold is crossed (default 80%, `alert_thresholds` in the config), or a soft budget
  2  over a budget (spend at or over max_budget): the key's, its team's or its user's
  3  the proxy is unreachable or unreadable, or it rejected the key (expired, blocked, unknown)
Note: 2 is also what every spendtui command returns for bad arguments or a bad config file.

Reads through the proxy's REST API with the key given (--key, LITELLM_PROXY_API_KEY or the
profile's api_key): the key's own record, its daily activity and request log, its team's
and its user's budgets, as far as LiteLLM shows them to that key; a part it does not show
reads "not visible to this key", never zero. --format line prints one line for a status
bar: "$3.21 / $10.00 (32 %), resets in 4 d" (without a budget "$3.21 spent, no budget").
"""


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "me",
        help="the key's own spend, budget, reset and burn rate (any key; exit 0 ok, 1 warning, 2 over, 3 rejected)",
        description="What the key given has spent, how much budget is left, when it resets and how fast it "
        "burns, as far as the proxy shows it to that key (no admin key needed).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "line"),
        default="table",
        help="table (default), json, or line: one line for a status bar",
    )
    p.add_argument(
        "--recent",
        type=whole_number(0, 1000),
        default=20,
        metavar="N",
        help="the newest N requests of the key to list (default 20; 0 for none)",
    )
    add_source_flags(p)
    command(p, run)


def run(args: argparse.Namespace) -> int:
    from spendtui.budgets.board import profile_zone
    from spendtui.budgets.config import budget_settings
    from spendtui.cli.common import config_from_args
    from spendtui.errors import ConfigError
    from spendtui.reports.me import NEEDS_PROXY, exit_code, read_me, render_json, render_line, render_table
    from spendtui.sources.factory import build_proxy

    config = config_from_args(args)
    profile = config.active
    if not profile.proxy_url:
        given = " (a database has no notion of the key in hand)" if profile.database_url else ""
        raise ConfigError(NEEDS_PROXY + given)
    if not profile.api_key:
        raise ConfigError(f"{NEEDS_PROXY} (no key given: --key, LITELLM_PROXY_API_KEY, or api_key in the profile)")
    settings = budget_settings(config)
    tz = profile_zone(profile.name, profile.timezone)
    source = build_proxy(profile)
    try:
        view = read_me(source, datetime.now(UTC), tz, settings.thresholds, args.recent)
    finally:
        source.close()
    code = exit_code(view)
    if args.format == "json":
        sys.stdout.write(render_json(view, code))
    elif args.format == "line":
        sys.stdout.write(render_line(view))
    else:
        sys.stdout.write(render_table(view))
    sys.stdout.flush()
    return code
