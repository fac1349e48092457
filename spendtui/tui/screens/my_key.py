"""The "My key" dashboard: what an ordinary (non-admin) key may see of itself.

Opened instead of refusing when the proxy says the key is not an admin's
(``errors.NotAdminKey``): the key's budget gauges (its own, its team's and its user's, as
far as LiteLLM shows them to the key), spend today, this month and in the budget window,
its limits and models, spend per model and per day, and its newest requests. The figures
come from ``reports.me.read_me`` (one ``MyKeyView`` snapshot, read in a thread); what the
key may not see says so, never a zero. ``r`` reads again, ``q`` quits; it re-reads every
``REFRESH`` seconds at the least (several requests to the proxy each time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from spendtui.dashboard import format as fmt
from spendtui.timeutil import day_date, format_age

if TYPE_CHECKING:
    from spendtui.core.budget_eval import EvaluatedBudget
    from spendtui.core.me_model import Figure, MyKeyView, Seen

#: Seconds between reads, at the least (each read is several requests to the proxy).
REFRESH = 10.0
LEVEL_STYLE = {"ok": "green", "warning": "yellow", "exceeded": "bold red"}


def hidden(seen: Seen | None) -> Text:
    """``not visible to this key (…why)``, dimmed."""
    reason = seen.reason if seen is not None and seen.reason else "not visible to this key"
    return Text(reason, style="dim italic")


def gauge_line(kind: str, budget: EvaluatedBudget | None, seen: Seen | None, name: str | None) -> Text:
    """``key   ███████░░░ 72%  $7.20 of $10.00 · resets in 4d 3h · runs out 11-30 14:00``."""
    from spendtui.dashboard.budgets import bar, used_text

    line = Text(f"{kind:<5} ", style="bold", no_wrap=True)
    if budget is None:
        label = f"{name}: " if name else ""
        return line.append(label).append_text(hidden(seen))
    if budget.limit is None:
        return line.append(f"{budget.state.name}: {fmt.money(budget.spend)} spent, no budget", style="dim")
    style = LEVEL_STYLE[budget.level]
    line.append(bar(budget.fraction, 12), style=style)
    line.append(f" {used_text(budget):>5}  ", style=style)
    soft = " (soft)" if budget.limit_is_soft else ""
    line.append(f"{fmt.money(budget.spend)} of {fmt.money(budget.limit)}{soft}")
    if budget.resets_in is not None:
        line.append(f" · resets in {format_age(budget.resets_in.total_seconds())}", style="dim")
    if budget.forecast.runs_out_at is not None:
        line.append(f" · runs out {budget.forecast.runs_out_at:%m-%d %H:%M} UTC", style=style)
    return line


def figure_text(name: str, figure: Figure) -> Text:
    out = Text(f"{name} ", style="bold")
    if figure.value is None:
        return out.append_text(hidden(figure.seen))
    out.append(fmt.money(figure.value))
    if figure.requests is not None:
        out.append(f" ({figure.requests:,} req)", style="dim")
    return out


BLOCKS = " ▁▂▃▄▅▆▇█"
#: Days the per-day line shows.
DAYS = 30


def days_text(view: MyKeyView) -> Text:
    """``per day ▁ ▂█▃ … (30 d, max $1.20 on 11-29)``: the last DAYS UTC days' spend."""
    out = Text("per day ", style="bold")
    if not view.activity_seen.visible:
        return out.append_text(hidden(view.activity_seen))
    days = view.per_day[-DAYS:]
    top = max((d.spend for d in days), default=0)
    if not days or top == 0:
        return out.append("no spend", style="dim")
    out.append("".join(BLOCKS[-1 if d.spend == top else (d.spend * 8 // top)] for d in days), style="cyan")
    peak = max(days, key=lambda d: d.spend)
    out.append(f"  last {len(days)} d, most {fmt.money(peak.spend)} on {day_date(peak.day):%m-%d}", style="dim")
    return out


class MyKeyScreen(Screen[None]):
    """One key's own view, read from the proxy now and then."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("q", "app.quit", "Quit"),
    ]
    DEFAULT_CSS = """
    MyKeyScreen #me-head { height: auto; padding: 0 1; background: $boost; }
    MyKeyScreen #me-budgets { height: auto; padding: 0 1; }
    MyKeyScreen #me-figures { height: auto; padding: 0 1; }
    MyKeyScreen #me-days { height: 1; padding: 0 1; }
    MyKeyScreen #me-tables { height: 1fr; }
    MyKeyScreen DataTable { height: 1fr; width: 1fr; }
    MyKeyScreen #me-models { width: auto; max-width: 50%; margin-right: 1; }
    MyKeyScreen #me-notes { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, source: object, refresh: float) -> None:
        super().__init__()
        self.source = source
        self.every = max(refresh, REFRESH)
        self.view: MyKeyView | None = None
        #: Why the last read failed (None after a good one).
        self.failed: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("reading this key's own view…", style="dim"), id="me-head")
        yield Static(id="me-budgets")
        yield Static(id="me-figures")
        yield Static(id="me-days")
        with Horizontal(id="me-tables"):
            yield DataTable(id="me-models", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="me-recent", cursor_type="row", zebra_stripes=True)
        yield Static(id="me-notes")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#me-models", DataTable).add_columns("Model", "Spend", "Share", "Req")
        self.query_one("#me-recent", DataTable).add_columns("Time (UTC)", "Model", "Cost", "Tokens", "")
        self.action_refresh()
        self.set_interval(self.every, self.action_refresh)

    def action_refresh(self) -> None:
        self.run_worker(self._read, thread=True, exclusive=True, group="me")

    def _read(self) -> None:
        from spendtui.errors import SpendtuiError
        from spendtui.reports.me import read_me

        try:
            view = read_me(self.source, datetime.now(UTC))
        except SpendtuiError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self.show, view)

    def _failed(self, error: str) -> None:
        self.failed = error
        self.notify(error, title="My key", severity="error", timeout=8)
        if self.view is None:
            self.query_one("#me-head", Static).update(Text(f"cannot read this key's view: {error}", style="red"))

    def show(self, view: MyKeyView) -> None:
        """Draw one snapshot."""
        self.view, self.failed = view, None
        self._head(view)
        budgets = [
            gauge_line("key", view.budget, view.key_seen, None),
            gauge_line("team", view.team_budget, view.team_seen, view.team_name),
            gauge_line("user", view.user_budget, view.user_seen, None),
        ]
        shown = [
            line
            for line, seen in zip(budgets, (view.key_seen, view.team_seen, view.user_seen), strict=True)
            if seen is not None
        ]
        self.query_one("#me-budgets", Static).update(Text("\n").join(shown or [Text("no budget on this key")]))
        figures = Text("  ").join(
            [figure_text("today", view.today), figure_text("month", view.month), figure_text("window", view.window)]
        )
        self.query_one("#me-figures", Static).update(figures)
        self.query_one("#me-days", Static).update(days_text(view))
        self._tables(view)
        notes = [*view.notes, *(f"{b.state.kind}: {n}" for b in view.budgets() for n in b.notes)]
        if not view.activity_seen.visible:
            notes.append(f"per day and per model: {view.activity_seen.reason}")
        self.query_one("#me-notes", Static).update("\n".join(f"note: {n}" for n in notes))

    def _head(self, view: MyKeyView) -> None:
        head = Text(no_wrap=False)
        head.append("My key ", style="bold")
        head.append(view.label, style="bold")
        if view.alias:
            head.append(f" ({view.key_name})", style="dim")
        head.append(f" · {view.proxy} · {view.now:%H:%M:%S} UTC", style="dim")
        key = view.key
        if key is None:
            head.append("\nkey record: ").append_text(hidden(view.key_seen))
        else:
            s, lim = key.budget, key.limits
            limits = [
                f"{n} {v:,}"
                for n, v in (
                    ("rpm", lim.rpm),
                    ("tpm", lim.tpm),
                    ("tpd", lim.tpd),
                    ("parallel", lim.max_parallel_requests),
                )
                if v is not None
            ]
            head.append("\n")
            if s.blocked:
                head.append("BLOCKED ", style="bold red")
            expires = f"{s.expires:%Y-%m-%d} " if s.expires else "never"
            head.append(f"limits: {', '.join(limits) or 'none'} · expires {expires}")
            allowed = ", ".join(view.models_allowed) if view.models_allowed else "any the proxy allows"
            head.append(f" · models: {allowed}", style="dim")
        self.query_one("#me-head", Static).update(head)

    def _tables(self, view: MyKeyView) -> None:
        models = self.query_one("#me-models", DataTable)
        models.clear()
        if not view.activity_seen.visible:
            models.add_row(hidden(view.activity_seen), "", "", "")
        for m in view.per_model:
            models.add_row(m.model, fmt.money(m.spend), f"{m.share * 100:.1f}%", f"{m.requests:,}")
        recent = self.query_one("#me-recent", DataTable)
        recent.clear()
        if not view.recent_seen.visible:
            recent.add_row(hidden(view.recent_seen), "", "", "", "")
        for r in view.recent:
            cost = "-" if r.spend is None else fmt.money(r.spend)
            state = Text("failed", style="red") if r.failed else Text("ok", style="green")
            recent.add_row(f"{r.start:%H:%M:%S}", r.model, cost, f"{r.prompt_tokens + r.completion_tokens:,}", state)
