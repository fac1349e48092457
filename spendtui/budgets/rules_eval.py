"""Spend rules evaluated against an engine: what ``spendtui check``, ``watch`` and the
dashboard draw from.

``prepare_engine(engine, rules, tz)`` makes sure the engine holds what the rules read:
every day of their current periods (a month rule: the month so far), and by hour the
days they cut within (spike rules: the hour H and the same hour on the 7 days before,
so 8 days; a day, week or month of a zone other than UTC starts inside a UTC day, which
must be held by hour from that day). A day held by hour takes up to 24 cells where a
whole day takes one (per combination of model, key and customer seen that day): a month
rule in a non-UTC zone keeps up to 32 days by hour. An engine that must hold more days by
hour than it does is reloaded once.

``rule_board(engine, rules, tz)``: both, then ``core.rule_eval.evaluate_rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING

from spendtui.budgets.rules_config import RuleSettings
from spendtui.core.hourly import hourly_days
from spendtui.core.query import Query
from spendtui.core.rule_eval import RuleBoard, evaluate_rules, rules_first_day, rules_hourly_from
from spendtui.core.rules import AnyRule

if TYPE_CHECKING:
    from spendtui.engine import SpendEngine


def _rules(rules: RuleSettings | Sequence[AnyRule]) -> Sequence[AnyRule]:
    return rules.rules if isinstance(rules, RuleSettings) else rules


def prepare_engine(engine: SpendEngine, rules: RuleSettings | Sequence[AnyRule], tz: tzinfo = UTC) -> None:
    """Load (or reload) the engine so it holds what the rules read at its ``now``."""
    found = _rules(rules)
    if not found:
        return
    now, today = engine.now(), engine.today()
    first = min(rules_first_day(found, now, tz), today - 1)
    hourly_from = rules_hourly_from(found, now, tz)
    wanted = today - hourly_from + 1
    if wanted > engine.hourly_days:
        engine.hourly_days = wanted
        if engine.first_day is not None and hourly_days(Query(engine.cube), hourly_from, today) != hourly_from:
            engine.load(min(first, engine.first_day))  # these days are held whole: read them again
            return
    engine.ensure_loaded(first)


def rule_board(engine: SpendEngine, rules: RuleSettings | Sequence[AnyRule], tz: tzinfo = UTC) -> RuleBoard:
    """Every rule evaluated at the engine's ``now``, after ``prepare_engine``."""
    found = _rules(rules)
    prepare_engine(engine, found, tz)
    return evaluate_rules(found, engine.query, engine.names, engine.now(), tz, loaded_from=engine.first_day)
