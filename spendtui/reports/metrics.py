"""What ``spendtui metrics`` serves: Prometheus samples built from one refresh, as plain data.

A ``MetricsSnapshot`` is immutable: the refresher (``metrics_refresh.py``) builds a new
one after each pass and swaps it in; the HTTP side only reads the latest. Everything
here is a pure function of what a pass evaluated (usage per combination, the budget
board, the rule board, the names), so it is tested without a server.

Names and labels follow LiteLLM's own Prometheus integration where it has the metric
(``litellm_spend_metric_total``, ``litellm_remaining_team_budget_metric``, ... with
``team``, ``team_alias``, ``hashed_api_key``, ``api_key_alias``, ``model``, ``end_user``,
``user``, ``org_id``, ``org_alias``), so dashboards built on LiteLLM's metrics work;
spendtui's own carry the ``spendtui_`` prefix. Every series is a gauge recomputed at
each refresh: usage over the window (``--window``), budgets as their sources count them.
Money is USD (from integer pico-dollars, converted once per sample).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from spendtui.budgets.board import BudgetBoard
from spendtui.core.budget_eval import LEVELS, EvaluatedBudget
from spendtui.core.measures import Totals
from spendtui.core.names import Names
from spendtui.core.rule_eval import RuleBoard
from spendtui.money import PICO
from spendtui.reports.metrics_usage import OTHER, USAGE_DIMENSIONS, Usage

Labels = tuple[str, ...]

#: LiteLLM's label names for the usage dimensions, in ``USAGE_DIMENSIONS`` order, with the
#: alias labels that follow from a key, a team and an organization.
USAGE_LABELS = (
    "end_user",
    "hashed_api_key",
    "api_key_alias",
    "model",
    "team",
    "team_alias",
    "user",
    "org_id",
    "org_alias",
)


@dataclass(frozen=True)
class Family:
    """One metric: its name, help text, label names and samples (label values, value)."""

    name: str
    help: str
    labels: Labels = ()
    samples: tuple[tuple[Labels, float], ...] = ()


@dataclass(frozen=True)
class MetricsSnapshot:
    """What one scrape serves: the data of the last good pass and the current status."""

    data: tuple[Family, ...]
    status: tuple[Family, ...]

    @property
    def families(self) -> tuple[Family, ...]:
        return (*self.data, *self.status)


def usd(pico: int | Fraction) -> float:
    """Pico-dollars as float USD (one correctly rounded division)."""
    return float(Fraction(pico) / PICO)


def _window_help(window: str) -> str:
    return (
        f"a gauge recomputed at each refresh over the window {window} (UTC days, today so far); "
        "each label keeps its top --top values by spend, the rest summed under '(other)'"
    )


# ---------------------------------------------------------------------- usage
_USAGE_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("litellm_spend_metric_total", "Spend in USD", "spend"),
    ("litellm_requests_metric_total", "Successful requests (failures: spendtui_failed_requests)", "successes"),
    ("litellm_total_tokens_metric_total", "Input + output tokens", "total_tokens"),
    ("litellm_input_tokens_metric_total", "Input (prompt) tokens", "prompt_tokens"),
    ("litellm_output_tokens_metric_total", "Output (completion) tokens", "completion_tokens"),
    ("spendtui_failed_requests", "Failed requests", "failures"),
)


def _measure(totals: Totals, attribute: str) -> float:
    if attribute == "spend":
        return usd(totals.spend)
    return float(getattr(totals, attribute))


def usage_labels(values: Sequence[str], names: Names) -> Labels:
    """LiteLLM's label values for one combination (``USAGE_DIMENSIONS`` order in)."""
    customer, key, model, team, user, org = values

    def alias(value: str, table: dict[str, str]) -> str:
        return OTHER if value == OTHER else table.get(value, "")

    return (
        customer,
        key,
        alias(key, names.key_alias),
        model,
        team,
        alias(team, names.team_alias),
        user,
        org,
        alias(org, names.organization_alias),
    )


def usage_families(found: Usage, names: Names, window: str) -> list[Family]:
    """The usage gauges, one series per combination (see ``metrics_usage``)."""
    assert len(USAGE_DIMENSIONS) == 6
    labelled = [(usage_labels(row.values, names), row.totals) for row in found.rows]
    out = []
    for name, text, attribute in _USAGE_MEASURES:
        samples = tuple((labels, _measure(t, attribute)) for labels, t in labelled)
        out.append(Family(name, f"{text}: {_window_help(window)}.", USAGE_LABELS, samples))
    distinct = tuple(((d,), float(n)) for d, n in found.distinct.items())
    out.append(
        Family(
            "spendtui_usage_distinct_values",
            "Distinct values per dimension in the window before folding into '(other)'.",
            ("dimension",),
            distinct,
        )
    )
    return out


# ---------------------------------------------------------------------- budgets
#: LiteLLM's budget gauges: kind -> (remaining, max, hours-to-reset metric names, label names).
LITELLM_BUDGETS: dict[str, tuple[str, str, str, Labels]] = {
    "team": (
        "litellm_remaining_team_budget_metric",
        "litellm_team_max_budget_metric",
        "litellm_team_budget_remaining_hours_metric",
        ("team", "team_alias"),
    ),
    "key": (
        "litellm_remaining_api_key_budget_metric",
        "litellm_api_key_max_budget_metric",
        "litellm_api_key_budget_remaining_hours_metric",
        ("hashed_api_key", "api_key_alias"),
    ),
    "user": (
        "litellm_remaining_user_budget_metric",
        "litellm_user_max_budget_metric",
        "litellm_user_budget_remaining_hours_metric",
        ("user",),
    ),
    "organization": (
        "litellm_remaining_org_budget_metric",
        "litellm_org_max_budget_metric",
        "litellm_org_budget_remaining_hours_metric",
        ("org_id", "org_alias"),
    ),
}
_WHAT = {"team": "team", "key": "virtual key", "user": "internal user", "organization": "organization"}


def _litellm_labels(b: EvaluatedBudget, names: Names) -> Labels:
    s = b.state
    if s.kind == "team":
        return (s.id, names.team_alias.get(s.id, ""))
    if s.kind == "key":
        return (s.id, s.alias or "")
    if s.kind == "organization":
        return (s.id, names.organization_alias.get(s.id, ""))
    return (s.id,)


def _hours(b: EvaluatedBudget) -> float | None:
    left = b.resets_in
    return None if left is None else left.total_seconds() / 3600


def litellm_budget_families(board: BudgetBoard, names: Names) -> list[Family]:
    """LiteLLM's remaining / max / hours-to-reset gauges for keys, teams, users and
    organizations with a ``max_budget`` (remaining = max_budget - spend, the source's counter)."""
    out = []
    for kind, (remaining, maximum, hours, labels) in LITELLM_BUDGETS.items():
        found = sorted((b for b in board.of_kind(kind) if b.state.max_budget is not None), key=lambda b: b.state.id)
        what = _WHAT[kind]
        rows = [(_litellm_labels(b, names), b) for b in found]
        out.append(
            Family(
                remaining,
                f"Remaining budget for the {what} in USD (max_budget - spend in its current budget window): a gauge.",
                labels,
                tuple((lab, usd(b.state.max_budget - b.spend)) for lab, b in rows if b.state.max_budget is not None),
            )
        )
        out.append(
            Family(
                maximum,
                f"Maximum budget for the {what} in USD: a gauge.",
                labels,
                tuple((lab, usd(b.state.max_budget)) for lab, b in rows if b.state.max_budget is not None),
            )
        )
        out.append(
            Family(
                hours,
                f"Hours until the {what}'s budget resets (budget_reset_at; none: never resets): a gauge.",
                labels,
                tuple((lab, h) for lab, b in rows if (h := _hours(b)) is not None),
            )
        )
    return out


_BUDGET_LABELS = ("kind", "id", "name")


def spendtui_budget_families(board: BudgetBoard) -> list[Family]:
    """Every budget on the board (every LiteLLM kind, soft budgets, spendtui's plans)."""
    rows = [((b.state.kind, b.state.id, b.state.name), b) for b in board.budgets]
    rows.sort(key=lambda r: r[0])
    kinds = "kind: key, team, user, customer, organization, project, member, tag, model or plan"

    def family(name: str, text: str, values: Iterable[tuple[Labels, float | None]]) -> Family:
        return Family(
            name, f"{text} ({kinds}): a gauge.", _BUDGET_LABELS, tuple((k, v) for k, v in values if v is not None)
        )

    counts = board.counts()
    return [
        family(
            "spendtui_budget_limit_usd",
            "The budget's limit in USD (max_budget, else the soft budget)",
            ((k, usd(b.limit) if b.limit is not None else None) for k, b in rows),
        ),
        family(
            "spendtui_budget_spend_usd",
            "Spend counted against the budget in its current window, USD",
            ((k, usd(b.spend)) for k, b in rows),
        ),
        family(
            "spendtui_budget_remaining_usd",
            "Limit minus spend in USD (negative when over)",
            ((k, usd(b.remaining) if b.remaining is not None else None) for k, b in rows),
        ),
        family(
            "spendtui_budget_reset_seconds",
            "Seconds until the budget's window resets (none: never resets)",
            ((k, b.resets_in.total_seconds() if b.resets_in is not None else None) for k, b in rows),
        ),
        family(
            "spendtui_budget_level",
            "The budget's alert state: 0 ok, 1 warning (a threshold crossed), 2 exceeded",
            ((k, float(LEVELS.index(b.level))) for k, b in rows),
        ),
        Family(
            "spendtui_budgets",
            "Budgets per alert state (ok, warning, exceeded): a gauge.",
            ("level",),
            tuple(((level,), float(counts[level])) for level in LEVELS),
        ),
    ]


# ---------------------------------------------------------------------- rules
_RULE_LABELS = ("rule", "measure", "scope", "period")


def _rule_value(measure: str, value: Fraction) -> float:
    return usd(value) if measure == "spend" else float(value)


def rule_families(rules: RuleBoard | None) -> list[Family]:
    """The spend rules (``rules:``, ``slack_alerts:``) as of the last evaluation."""
    results = sorted(rules.results if rules is not None else (), key=lambda r: r.rule.name)
    rows = [((r.rule.name, r.rule.measure, r.scope_text, r.rule.period), r) for r in results]
    unit = "spend in USD, requests, tokens, failures, or failure_rate as a fraction"
    return [
        Family(
            "spendtui_rule_firing",
            "1 while the spend rule fires in its current period, else 0: a gauge.",
            _RULE_LABELS,
            tuple((k, 1.0 if r.firing else 0.0) for k, r in rows),
        ),
        Family(
            "spendtui_rule_value",
            f"The rule's measure in its current period ({unit}): a gauge.",
            _RULE_LABELS,
            tuple((k, _rule_value(r.rule.measure, r.value)) for k, r in rows),
        ),
        Family(
            "spendtui_rule_threshold",
            f"The value above which the rule fires ({unit}): a gauge.",
            _RULE_LABELS,
            tuple((k, _rule_value(r.rule.measure, r.threshold)) for k, r in rows),
        ),
    ]


# ---------------------------------------------------------------------- status
@dataclass(frozen=True)
class Status:
    """The refresher's state when a snapshot is published."""

    #: The source answered the last pass (None: no pass has finished yet).
    up: bool | None
    #: When the last successful pass finished (None: none yet).
    refreshed_at: datetime | None
    #: How long the last successful pass took, seconds.
    seconds: float | None
    window: str
    first_day: str | None = None
    last_day: str | None = None


def status_families(status: Status) -> tuple[Family, ...]:
    out = []
    if status.up is not None:
        out.append(
            Family(
                "spendtui_source_up",
                "1 if the source answered the last refresh, 0 if not (the last data read is still served): a gauge.",
                (),
                (((), 1.0 if status.up else 0.0),),
            )
        )
    if status.refreshed_at is not None:
        out.append(
            Family(
                "spendtui_last_refresh_timestamp_seconds",
                "When the served data was last refreshed (Unix time): a gauge.",
                (),
                (((), status.refreshed_at.timestamp()),),
            )
        )
    if status.seconds is not None:
        out.append(
            Family(
                "spendtui_refresh_duration_seconds",
                "How long the last successful refresh took: a gauge.",
                (),
                (((), status.seconds),),
            )
        )
    if status.first_day is not None and status.last_day is not None:
        out.append(
            Family(
                "spendtui_window_info",
                "The window the usage series cover (always 1): a gauge.",
                ("window", "first_day", "last_day"),
                (((status.window, status.first_day, status.last_day), 1.0),),
            )
        )
    return tuple(out)


def data_families(
    usage: tuple[Usage, str] | None, board: BudgetBoard | None, rules: RuleBoard | None, names: Names
) -> tuple[Family, ...]:
    """Everything a pass evaluated, as families (``usage``: with its window's name; None:
    the source cannot cross its dimensions, so no usage series)."""
    out: list[Family] = []
    if usage is not None:
        out += usage_families(usage[0], names, usage[1])
    if board is not None:
        out += litellm_budget_families(board, names)
        out += spendtui_budget_families(board)
    out += rule_families(rules)
    return tuple(out)
