"""The data a snapshot carries to the UI: plain, immutable, numpy-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from spendtui.core.latency import Latency
from spendtui.core.selection import Window
from spendtui.core.totals import Totals

if TYPE_CHECKING:  # numpy-backed modules: the first frame does not wait for them
    from spendtui.budgets.board import BudgetBoard
    from spendtui.core.budget_eval import EvaluatedBudget
    from spendtui.core.rule_eval import RuleBoard
    from spendtui.dashboard.costs import CostsData


@dataclass(frozen=True)
class TableRow:
    """One breakdown row, with raw values (for sorting) the widgets format."""

    value: str
    label: str
    totals: Totals
    share: float
    #: The same part of the previous period (dashboard/compare.py); None while it is
    #: still loading, or where nothing compares.
    previous_spend: int | None
    #: The row's LiteLLM budget (Keys, Users, Teams, Customers panes), if it has one.
    budget: EvaluatedBudget | None = None
    #: The row's spend in the part of the window compared (its complete days or hours).
    compared_spend: int | None = None
    #: The row's latency percentiles (Models, Keys and Teams panes, when the source
    #: records request durations), else None.
    latency: Latency | None = None

    @property
    def change(self) -> float | None:
        """(compared - previous) / previous; inf for something new; None: no comparison."""
        return change_ratio(self.compared_spend, self.previous_spend)


def change_ratio(current: int | None, previous: int | None) -> float | None:
    if current is None or previous is None:
        return None
    if previous == 0:
        return float("inf") if current else None
    return (current - previous) / previous


@dataclass(frozen=True)
class TableData:
    dimension: str
    rows: list[TableRow]
    total: Totals
    categories: list[str] = field(default_factory=list)
    #: Rows the source cannot give for this window (every row shown is exact).
    caveats: tuple[str, ...] = ()
    #: Why there are no rows: the source cannot answer this exactly (nothing is estimated).
    refusal: str | None = None
    #: Whether the rows carry latency (``TableRow.latency``): the table shows its columns.
    latency: bool = False
    #: The latency is being read (its columns show ``…``).
    latency_pending: bool = False


@dataclass(frozen=True)
class Kpis:
    window: Totals
    #: The same part of the previous period as ``compared`` (dashboard/compare.py); None
    #: while it is still loading or where nothing compares yet.
    previous: Totals | None
    today: Totals
    month: Totals
    #: Pico-dollars per hour over about the last hour and the last 24 hours.
    burn_1h: float
    burn_24h: float
    #: The part of the window compared with ``previous`` (complete days or hours).
    compared: Totals | None = None
    #: ``vs prev`` or ``vs yesterday``; without a comparison, why not.
    compare_label: str = "vs prev"
    #: Why the change may mislead (the previous period is only partly covered by data).
    compare_note: str | None = None


@dataclass(frozen=True)
class ChartData:
    """Daily spend split into stacks (USD floats: for drawing only) and today's hours."""

    days: list[date]
    stacks: list[tuple[str, list[float]]]
    split: str
    hours: list[float] | None
    #: Each day's exact totals (what ``E`` exports).
    totals: list[tuple[date, Totals]] = field(default_factory=list)
    #: Each day's latency percentiles for the same requests; None where the source has
    #: none (``latency_note`` says why).
    latency: list[tuple[date, Latency]] | None = None
    latency_note: str | None = None


@dataclass(frozen=True)
class TailRow:
    request_id: str
    time: str
    key: str
    user: str
    customer: str
    model: str
    tokens: int
    spend: int | None
    tags: str
    status: str
    #: The request's start, ISO 8601 UTC ("" when unreadable).
    started: str = ""


@dataclass(frozen=True)
class DrillData:
    dimension: str
    value: str
    label: str
    totals: Totals
    daily: list[tuple[date, Totals]]
    tables: list[TableData]


@dataclass(frozen=True)
class Snapshot:
    version: int
    now: datetime
    window: Window
    window_label: str
    #: None when the source cannot answer the view exactly (``refusal`` says why).
    kpis: Kpis | None
    overview_daily: list[tuple[date, Totals]] | None = None
    top: dict[str, TableData] | None = None
    table: TableData | None = None
    chart: ChartData | None = None
    tail: list[TailRow] | None = None
    drill: DrillData | None = None
    quality: tuple[str, ...] = ()
    loaded_from: date | None = None
    #: The whole view (window and filters) cannot be answered exactly: why, and nothing else.
    refusal: str | None = None
    #: Source-specific status (e.g. the proxy's mode) for the status bar.
    source_note: str = ""
    #: Every budget evaluated, most urgent first (None before the first evaluation).
    budgets: BudgetBoard | None = None
    #: The spend rules evaluated with the budgets (None: no rules configured).
    rules: RuleBoard | None = None
    #: (dimension, value, label) of each filter value: what the filter bar calls it.
    filter_labels: tuple[tuple[str, str, str], ...] = ()
    #: The Costs pane's audit (``dashboard.costs``), and the Overview's warning line.
    costs: CostsData | None = None
    cost_warning: tuple[int, int] | None = None
    #: The cost audit is being read for a pane shown (the next step reads it).
    costs_pending: bool = False

    @property
    def latency_pending(self) -> bool:
        """Whether a pane shown waits for latency being read (the next step reads it)."""
        table_waits = self.table is not None and self.table.latency_pending
        chart_waits = self.chart is not None and self.chart.latency is None and self.chart.latency_note is None
        return table_waits or chart_waits

    @property
    def reads_pending(self) -> bool:
        """Whether a pane shown waits for something the next step reads."""
        return self.latency_pending or self.costs_pending

    @property
    def notices(self) -> tuple[str, ...]:
        """What the active view must say it cannot show: the refusal or the table's caveats."""
        if self.refusal:
            return (self.refusal,)
        if self.table is not None:
            return (self.table.refusal,) if self.table.refusal else self.table.caveats
        if self.top is not None and self.kpis is not None and self.kpis.compare_note:  # the Overview
            return (self.kpis.compare_note,)
        return ()
