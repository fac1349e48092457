"""``spendtui report focus``: the range's spend as a FOCUS 1.2 CSV (``reports.focus``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from spendtui.cli.common import config_from_args, engine_for, price_file
from spendtui.core.audit import pricer
from spendtui.core.focus import NO_FOCUS, FocusSource
from spendtui.core.price_files import price_sources
from spendtui.core.query import Window
from spendtui.errors import SourceDataError, UsageError
from spendtui.reports.focus import billing_account, check_writable, focus_notes, render_focus_csv, write_export

GRANULARITIES = ("day", "hour")
#: The flags only ``report focus`` takes: dest -> flag.
_OWN = {"granularity": "--granularity", "output": "--output", "billing_account": "--billing-account"}

EPILOG = """\
`focus` writes FOCUS 1.2 (FinOps Open Cost and Usage Specification) CSV: one row per
charge period (UTC day, or hour with --granularity hour) x model (ServiceName) x provider
x key (ResourceId, its alias as ResourceName) x team (SubAccountId/SubAccountName) x tag
set (Tags, a JSON object). BilledCost = EffectiveCost = ContractedCost is what LiteLLM
logged; ListCost is the requests' tokens at the price map's prices (--prices FILE, then the
database's deployment prices, then the bundled snapshot; a model without a price: its
billed cost, and a note says so). --output FILE replaces only an empty file or a FOCUS
export spendtui wrote (exit 2 otherwise); absent or -: standard output. It reads LiteLLM's
request logs, in its database: through the REST API it exits 3.
"""


def add_focus_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--granularity", choices=GRANULARITIES, help="focus: a row per UTC day (default) or per hour and dimension"
    )
    p.add_argument("--output", metavar="FILE", help="focus: write the CSV to FILE (default or -: standard output)")
    p.add_argument(
        "--billing-account",
        metavar="ID",
        help="focus: the BillingAccountId and BillingAccountName (default: the database, without user info)",
    )


def refuse_focus_flags(args: argparse.Namespace) -> None:
    for dest, name in _OWN.items():
        if getattr(args, dest, None) is not None:
            raise UsageError(f"{name} only applies to `report focus`")


def _refuse_others(args: argparse.Namespace) -> None:
    for given, name in (
        (args.user_id, "a USER_ID"),
        (args.tag_prefix, "--tag-prefix"),
        (args.top, "--top"),
        (args.models, "--models"),
        (args.no_latency or None, "--no-latency"),
    ):
        if given is not None:
            raise UsageError(f"{name} does not apply to `report focus`")
    if args.format not in ("table", "csv"):
        raise UsageError(f"`report focus` writes FOCUS CSV: --format {args.format} does not apply")
    account = args.billing_account
    if account is not None and not account.strip():
        raise UsageError("--billing-account is empty: give the id finance knows this proxy by")


def run_focus(args: argparse.Namespace, window_of: Callable[[argparse.Namespace, int], Window]) -> int:
    """``report focus``; ``window_of`` reads --start and --end as every report does."""
    _refuse_others(args)
    output = None if args.output in (None, "-") else str(args.output)
    if output is not None:
        check_writable(output)  # (before anything is read)
    config = config_from_args(args)
    path = price_file(args, config)
    engine = engine_for(config)
    try:
        window = window_of(args, engine.today())
        source = engine.source
        if not isinstance(source, FocusSource):
            raise SourceDataError(NO_FOCUS)
        prices = price_sources(path, source.prices)
        groups = source.focus_groups(window.first_day, window.last_day, args.granularity == "hour", pricer(prices))
        names = engine.source.names()
        account = (args.billing_account or "").strip() or billing_account(engine.source.display)
    finally:
        engine.close()
    text = render_focus_csv(groups, names, account)
    if output is None:
        sys.stdout.write(text)
    else:
        write_export(output, text)
    dated = f" (dated {prices.date})" if prices.date else ""
    for note in [f"ListCost prices: {prices.source}{dated}", *prices.notes, *focus_notes(groups)]:
        print(f"spendtui: note: {note}", file=sys.stderr)
    if output is not None:
        print(f"spendtui: wrote {len(text.splitlines()) - 1:,} FOCUS rows to {output}", file=sys.stderr)
    return 0
