"""``spendtui keys``: list, create and change budgeted virtual keys from scripts."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from spendtui.cli.common import NOTHING_CONFIGURED, config_from_args
from spendtui.cli.flags import Parser, add_allow_db_writes, add_source_flags, command
from spendtui.errors import ConfigError, UsageError
from spendtui.keys.model import CreatedKey, KeyWriter
from spendtui.keys.spec import KeySpec, SpecError, parse_spec

if TYPE_CHECKING:  # (imported where used: a command loads only what it runs)
    from spendtui.config import Config
    from spendtui.core.names import Names

SPEC_FLAGS = (
    ("--alias", "alias", "key alias (required for create)"),
    ("--max-budget", "max_budget", "maximum spend in USD per budget window"),
    ("--budget-duration", "budget_duration", "window: daily, weekly, monthly, or <n>s|m|h|d|w|mo (e.g. 30d)"),
    ("--soft-budget", "soft_budget", "alert-only budget in USD (at most the max budget)"),
    ("--models", "models", "allowed models, comma separated (default: all)"),
    ("--tags", "tags", "category:value tags, comma separated (LiteLLM: Enterprise only via the proxy)"),
    ("--team", "team_id", "team id"),
    ("--user", "user_id", "internal user id"),
    ("--tpm", "tpm_limit", "tokens per minute limit"),
    ("--rpm", "rpm_limit", "requests per minute limit"),
    ("--duration", "duration", "key expiry from now, e.g. 90d (default: never)"),
    ("--metadata", "metadata", "JSON object stored with the key"),
)
UPDATE_FIELDS = {"max_budget", "budget_duration", "soft_budget"}


def add_write_flags(p: argparse.ArgumentParser) -> None:
    add_source_flags(p)
    add_allow_db_writes(p, "without a proxy, insert/update the key row in the database yourself")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")


def add_parser(sub: argparse._SubParsersAction[Parser]) -> None:
    keys = sub.add_parser(
        "keys",
        help="list, create and manage budgeted virtual keys",
        description="List LiteLLM virtual keys with their budgets, and create and change them: "
        "through the proxy when one is configured, else (opt-in) straight into the database.",
    )
    add_source_flags(keys)
    add_allow_db_writes(keys, "create|update|block|unblock|delete: write the key row in the database yourself")
    keys.set_defaults(command_group=keys)
    ksub = keys.add_subparsers(title="actions", metavar="ACTION", required=True)
    add_list_parser(ksub)
    create = ksub.add_parser("create", help="create a key (prints it once)")
    for flag, dest, text in SPEC_FLAGS:
        create.add_argument(flag, dest=dest, help=text)
    add_write_flags(create)
    command(create, run_create)
    update = ksub.add_parser("update", help="change a key's max budget, duration or soft budget")
    update.add_argument("key", help="alias, sk- key, or hash")
    for flag, dest, text in SPEC_FLAGS:
        if dest in UPDATE_FIELDS:
            update.add_argument(flag, dest=dest, help=text)
    add_write_flags(update)
    command(update, run_update)
    for action, text in (("block", "block a key (the proxy refuses it)"), ("unblock", "unblock a key")):
        p = ksub.add_parser(action, help=text)
        p.add_argument("key", help="alias, sk- key, or hash")
        add_write_flags(p)
        command(p, run_block)
        p.set_defaults(blocked=action == "block")
    delete = ksub.add_parser("delete", help="delete a key (asks first)")
    delete.add_argument("key", help="alias, sk- key, or hash")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_write_flags(delete)
    command(delete, run_delete)


LIST_EPILOG = """\
Every key is listed, with a budget or without, from LiteLLM's database (--db) or the
proxy (--proxy, an admin key sees every key). spend is LiteLLM's counter for the current
budget window; used is spend over the max budget (over the soft budget when that is the
only limit); next reset is budget_reset_at, or LiteLLM's rule applied to now (assumed)
when it is not set. Keys show as alias and LiteLLM's sk-...abcd form, never in full.
JSON and CSV add the key's hash (token) and the team id; money there is exact USD (six
decimals or more), times are UTC. Fields a simplified database lacks show as '?' (CSV:
unknown; JSON: null, named in unknown_fields), not as "never".
"""


def add_list_parser(ksub: argparse._SubParsersAction[Parser]) -> None:
    from spendtui.keys.list_render import FORMATS
    from spendtui.keys.listing import SORTS

    p = ksub.add_parser(
        "list",
        help="list virtual keys with spend, budget, next reset and %% used",
        description="List LiteLLM virtual keys with their spend, budgets, next reset, share used, "
        "soft budget, blocked flag and expiry.",
        epilog=LIST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    p.add_argument(
        "--sort",
        choices=SORTS,
        default="spend",
        help="spend (most first, the default), used (fullest first) or alias (A to Z)",
    )
    p.add_argument("--over", metavar="PCT", help="only keys that used at least PCT%% of their budget (e.g. 80)")
    p.add_argument("--now", metavar="ISO", help="evaluate resets and expiry as if it were this UTC moment")
    add_source_flags(p)
    command(p, run_list)


def _percent(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw.strip().removesuffix("%"))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise UsageError(f"--over {raw!r} is not a percentage (a number such as 80 or 12.5)")
    return value


def run_list(args: argparse.Namespace) -> int:
    from spendtui.budgets.board import profile_zone
    from spendtui.keys.list_render import render_csv, render_json, render_table
    from spendtui.keys.listing import list_keys, over, sort_keys
    from spendtui.sources.factory import build_source
    from spendtui.timeutil import parse_timestamp, system_clock

    percent = _percent(args.over)
    now = parse_timestamp(args.now) if args.now else system_clock()
    if now is None:
        raise UsageError(f"--now {args.now!r} is not an ISO timestamp")
    config = config_from_args(args)
    profile = config.active
    if not profile.configured:
        raise ConfigError(NOTHING_CONFIGURED)
    tz = profile_zone(profile.name, profile.timezone)
    source = build_source(profile)
    try:
        listing = list_keys(source, now, tz)
    finally:
        source.close()
    keys = sort_keys(listing.keys, args.sort)
    if percent is not None:
        keys = over(keys, percent)
    if args.format == "json":
        sys.stdout.write(render_json(listing, keys))
    elif args.format == "csv":
        sys.stdout.write(render_csv(listing, keys))
        for note in listing.notes:
            print(f"spendtui: note: {note}", file=sys.stderr)
    else:
        sys.stdout.write(render_table(listing, keys, len(listing.keys)))
    return 0


def _spec(args: argparse.Namespace, require_alias: bool, fields: set[str] | None = None) -> KeySpec:
    values = {dest: getattr(args, dest, None) for _, dest, _ in SPEC_FLAGS if fields is None or dest in fields}
    try:
        return parse_spec(values, require_alias=require_alias)
    except SpecError as exc:
        flags = {dest: flag for flag, dest, _ in SPEC_FLAGS}
        raise UsageError("invalid key: " + "; ".join(f"{flags.get(k, k)} {v}" for k, v in exc.errors.items())) from None


def _writer(args: argparse.Namespace) -> tuple[Config, KeyWriter]:
    from spendtui.keys.writers import writer_for

    config = config_from_args(args)
    return config, writer_for(config.active)


def _resolve(args: argparse.Namespace, config: Config) -> str:
    from spendtui.keys.writers import resolve_key
    from spendtui.sources.factory import build_source

    ident = args.key
    if ident.startswith("sk-") or len(ident) == 64:
        return resolve_key(ident, _no_names())
    source = build_source(config.active)
    try:
        return resolve_key(ident, source.names())
    finally:
        source.close()


def _no_names() -> Names:
    from spendtui.core.names import Names

    return Names()


def print_created(created: CreatedKey, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(created.as_json(include_key=True), indent=2))
    else:
        print("New key. It is shown only this once: copy it now.\n")
        print(f"    {created.key}\n")
        rows: list[tuple[str, object]] = [
            ("alias", created.alias),
            ("hash (token)", created.token),
            ("shown as", created.key_name),
        ]
        if created.max_budget is not None:
            per = f" per {created.budget_duration}" if created.budget_duration else ""
            rows.append(("max budget", f"${created.max_budget}{per}"))
        if created.budget_reset_at:
            rows.append(("budget resets", created.budget_reset_at.strftime("%Y-%m-%d %H:%M UTC")))
        if created.soft_budget is not None:
            rows.append(("soft budget", f"${created.soft_budget}"))
        for label, value in (
            ("models", ", ".join(created.models)),
            ("tags", ", ".join(created.tags)),
            ("team", created.team_id),
            ("user", created.user_id),
            ("tpm limit", created.tpm_limit),
            ("rpm limit", created.rpm_limit),
        ):
            if value:
                rows.append((label, value))
        rows.append(("expires", created.expires.strftime("%Y-%m-%d %H:%M UTC") if created.expires else "never"))
        width = max(len(k) for k, _ in rows)
        for label, shown in rows:
            print(f"{label.ljust(width)}  {shown}")
    for note in created.notes:
        print(f"spendtui: note: {note}", file=sys.stderr)


def run_create(args: argparse.Namespace) -> int:
    spec = _spec(args, require_alias=True)
    _, writer = _writer(args)
    try:
        created = writer.create(spec)
    finally:
        writer.close()
    print_created(created, args.format)
    return 0


def run_update(args: argparse.Namespace) -> int:
    spec = _spec(args, require_alias=False, fields=UPDATE_FIELDS)
    if not spec.given:
        raise UsageError("nothing to change: give --max-budget, --budget-duration or --soft-budget")
    config, writer = _writer(args)
    try:
        token = _resolve(args, config)
        writer.update(token, spec)
    finally:
        writer.close()
    print(json.dumps({"updated": token, **spec.request_body()}) if args.format == "json" else f"updated {args.key}")
    return 0


def run_block(args: argparse.Namespace) -> int:
    config, writer = _writer(args)
    try:
        token = _resolve(args, config)
        writer.block(token, args.blocked)
    finally:
        writer.close()
    word = "blocked" if args.blocked else "unblocked"
    print(json.dumps({word: token}) if args.format == "json" else f"{word} {args.key}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    config, writer = _writer(args)
    try:
        token = _resolve(args, config)
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError("refusing to delete without confirmation: add --yes")
            answer = input(f"Delete key {args.key} ({token[:12]}…)? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("not deleted")
                return 1
        writer.delete(token)
    finally:
        writer.close()
    print(json.dumps({"deleted": token}) if args.format == "json" else f"deleted {args.key}")
    return 0
