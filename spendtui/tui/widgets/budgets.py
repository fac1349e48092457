"""The Budgets pane: one gauge per budget, most urgent first, filtered by kind.

State is written out (``✗ OVER``, ``▲ WARN``, ``✓ OK``) as well as coloured, so the pane
reads the same under NO_COLOR or on a monochrome terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from spendtui.dashboard import format as fmt
from spendtui.tui.widgets.table import SpendTable

if TYPE_CHECKING:
    from spendtui.budgets.board import BudgetBoard
    from spendtui.core.budget_eval import EvaluatedBudget
    from spendtui.core.rule_eval import RuleBoard
    from spendtui.core.rules import RuleResult

COLUMNS = (
    ("state", "State"),
    ("name", "Budget"),
    ("gauge", "Used"),
    ("spent", "Spent"),
    ("limit", "Limit"),
    ("remaining", "Left"),
    ("resets", "Resets"),
    ("burn", "Burn 24h"),
    ("projected", "At reset"),
    ("runs_out", "Runs out"),
    ("logs", "Logs"),
)
#: Columns given up, in this order, while the names have less room than they need (up to
#: NAME_ROOM): at 80 columns the pane keeps state, name, gauge, spent, limit, runs out; at
#: 120 the Logs column (the request logs' spend where LiteLLM's counter differs) stays.
DROP_ORDER = ("burn", "projected", "logs", "remaining", "resets", "runs_out", "limit", "spent", "gauge")
NAME_ROOM = 26
LEVEL_STYLE = {"ok": "green", "warning": "yellow", "exceeded": "bold red"}
KIND_SHORT = {
    "key": "key ",
    "team": "team",
    "user": "user",
    "customer": "cust",
    "organization": "org ",
    "project": "proj",
    "member": "memb",
    "tag": "tag ",
    "model": "modl",
    "plan": "plan",
}
#: The mark after the spend when LiteLLM's counter and the request logs disagree.
DISAGREES = "≠"
#: The kind before each name ("key ", "team" and a space).
KIND_WIDTH = 5
BAR_WIDTH = 6


def gauge_cells(budget: EvaluatedBudget, name: str | None = None) -> list[Text]:
    """One row of the pane (the same figures as ``spendtui check``); ``name``: the name
    as fitted to the pane (default: whole)."""
    from spendtui.budgets.render import budget_row, logs_cell
    from spendtui.dashboard.budgets import bar, used_text

    state, kind, full_name, spent, limit, _used, remaining, resets, burn, projected, runs_out = budget_row(budget)
    style = LEVEL_STYLE[budget.level]
    label = Text(KIND_SHORT.get(kind, kind[:4]) + " ", style="dim", no_wrap=True)
    label.append(full_name if name is None else name, style="")
    gauge = Text(bar(budget.fraction, BAR_WIDTH), style=style, no_wrap=True)
    gauge.append(f" {used_text(budget, narrow=True):>4}")
    if len(runs_out) == 16:  # 2026-11-29 15:00: the year only when it is not this one
        runs_out = runs_out[5:] if runs_out[:4] == f"{budget.now:%Y}" else runs_out[:10]
    right = {"justify": "right", "no_wrap": True}
    spent_cell = Text(**right)  # type: ignore[arg-type]
    if budget.state.disagrees:  # (before the amount, so it reads with it when the Logs column is dropped)
        spent_cell.append(DISAGREES + " ", style="bold magenta")
    spent_cell.append(spent)
    logs = logs_cell(budget)
    return [
        Text(state, style=style, no_wrap=True),
        label,
        gauge,
        spent_cell,
        Text(limit, **right),  # type: ignore[arg-type]
        Text(remaining, **right),  # type: ignore[arg-type]
        Text(resets, **right),  # type: ignore[arg-type]
        Text(burn.removesuffix("/h"), **right),  # type: ignore[arg-type]
        Text(projected, **right),  # type: ignore[arg-type]
        Text(runs_out, **right),  # type: ignore[arg-type]
        Text(logs, style="bold magenta" if logs.startswith(DISAGREES) else "dim", **right),  # type: ignore[arg-type]
    ]


def _disambiguator(budget: EvaluatedBudget) -> str:
    """What tells two budgets of one name apart: the key's masked name, else the id."""
    return budget.state.key_name or budget.state.id


class BudgetTable(SpendTable):
    """The gauges, in urgency order; rows are keyed by budget so the cursor survives.

    Names get the room there is: columns give way (DROP_ORDER) before names are cut,
    a cut keeps both ends of a name, and two budgets never read the same."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._budgets: dict[str, EvaluatedBudget] = {}
        self._order: list[str] = []
        self._shown: tuple[str, ...] = tuple(key for key, _ in COLUMNS)
        self._names: dict[str, str] = {}

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        titles = dict(COLUMNS)
        for key in self._shown:
            self.add_column(titles[key], key=key)

    def on_resize(self) -> None:
        self.show([self._budgets[uid] for uid in self._order])

    def _layout(self, budgets: list[EvaluatedBudget]) -> tuple[tuple[str, ...], dict[str, str]]:
        """The columns that fit beside the names, and each budget's name as shown."""
        titles = dict(COLUMNS)
        full = {b.state.uid: gauge_cells(b) for b in budgets}
        keys = [key for key, _ in COLUMNS]
        widths = {
            key: max([len(titles[key]) + 2, *(cells[i].cell_len for cells in full.values())]) + 2
            for i, key in enumerate(keys)
        }
        longest = max((len(b.state.name) for b in budgets), default=0)
        room_wanted = min(longest, NAME_ROOM)
        # (the table's own width, less its scrollbar, or the screen's before the first layout)
        total = (self.size.width or self.app.size.width) - 2
        shown = list(keys)
        for drop in DROP_ORDER:
            room = total - sum(widths[k] for k in shown if k != "name") - 2 - KIND_WIDTH
            if room >= room_wanted:
                break
            shown.remove(drop)
        room = total - sum(widths[k] for k in shown if k != "name") - 2 - KIND_WIDTH
        width = max(8, room)
        fitted = fmt.distinct([b.state.name for b in budgets], [_disambiguator(b) for b in budgets], width)
        return tuple(shown), {b.state.uid: name for b, name in zip(budgets, fitted, strict=True)}

    def _cells(self, budget: EvaluatedBudget) -> list[Text]:
        cells = dict(
            zip((key for key, _ in COLUMNS), gauge_cells(budget, self._names.get(budget.state.uid)), strict=True)
        )
        return [cells[key] for key in self._shown]

    def show(self, budgets: list[EvaluatedBudget]) -> None:
        order = [b.state.uid for b in budgets]
        selected = self.selected()
        shown, names = self._layout(budgets)
        if shown != self._shown:
            self._shown, self._order = shown, []
            self.clear(columns=True)
            self._add_columns()
        if names != self._names:
            self._names, self._order = names, []
        with self.app.batch_update():
            if order != self._order:
                self.clear()
                for budget in budgets:
                    self.add_row(*self._cells(budget), key=budget.state.uid)
                if selected is not None and selected.state.uid in order:
                    self.move_cursor(row=order.index(selected.state.uid))
            else:
                for budget in budgets:
                    if self._budgets.get(budget.state.uid) == budget:
                        continue
                    for column, cell in zip(self._shown, self._cells(budget), strict=True):
                        self.update_cell(budget.state.uid, column, cell, update_width=True)
        self._budgets = {b.state.uid: b for b in budgets}
        self._order = order

    def shown_budgets(self) -> list[EvaluatedBudget]:
        """The budgets on screen, in their order (most urgent first)."""
        return [self._budgets[uid] for uid in self._order]

    def selected(self) -> EvaluatedBudget | None:
        key = self.cursor_key()
        return None if key is None else self._budgets.get(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter drills into the budget's key, team, user or customer."""
        from spendtui.dashboard.budgets import drill_target

        event.stop()
        budget = self._budgets.get(str(event.row_key.value))
        target = None if budget is None else drill_target(budget.state)
        if budget is None or target is None:
            if budget is not None:
                self.notify(f"plan {budget.state.name}: {budget.state.scope or 'all spend'}", timeout=4)
            return
        from spendtui.tui.widgets.breakdown import BreakdownTable

        self.post_message(BreakdownTable.Drill(self, target[0], target[1], budget.state.name))  # type: ignore[arg-type]


class BudgetsPane(Vertical):
    """Counts and the kind filter, the gauges, and the board's notes."""

    DEFAULT_CSS = """
    BudgetsPane { height: 1fr; }
    BudgetsPane #budget-head { height: 1; padding: 0 1; background: $boost; }
    BudgetsPane BudgetTable { height: 1fr; }
    BudgetsPane #budget-notes { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    BudgetsPane #budget-empty { height: auto; padding: 1 2; display: none; }
    BudgetsPane.-empty #budget-empty { display: block; }
    BudgetsPane.-empty BudgetTable { display: none; }
    BudgetsPane RuleTable { height: 1fr; display: none; }
    BudgetsPane.-rules RuleTable { display: block; }
    BudgetsPane.-rules BudgetTable { display: none; }
    BudgetsPane.-rules.-empty RuleTable { display: none; }
    """

    def compose(self) -> ComposeResult:
        from spendtui.tui.widgets.rules import RuleTable

        yield Static(id="budget-head")
        yield BudgetTable(id="budget-table")
        yield RuleTable(id="rule-table")
        yield Static(id="budget-empty")
        yield Static(id="budget-notes")

    _shown: tuple[BudgetBoard | None, str | None, RuleBoard | None] | None = None

    def on_resize(self) -> None:
        """The head line fits the width it has (it may be drawn before the first layout)."""
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, board: BudgetBoard | None, kind: str | None, rules: RuleBoard | None = None) -> None:
        from spendtui.dashboard.budgets import KIND_ORDER, KIND_TERSE, KIND_TITLES

        self._shown = (board, kind, rules)
        if board is None:
            self.query_one("#budget-head", Static).update(Text("reading budgets…", style="dim"))
            return
        results = list(rules.results) if rules is not None else []
        self.set_class(kind == "rule", "-rules")
        shown = board.budgets if kind is None else board.of_kind(kind)
        counts = {level: sum(1 for b in shown if b.level == level) for level in ("exceeded", "warning", "ok")}
        if kind == "rule":
            firing = sum(r.firing for r in results)
            counts = {"exceeded": 0, "warning": firing, "ok": len(results) - firing}

        def count(option: str | None) -> int:
            if option == "rule":
                return len(results)
            return len(board.budgets) if option is None else len(board.of_kind(option))

        kinds = [(o, count(o)) for o in KIND_ORDER]
        # (kinds without a budget only while selected: ten kinds do not fit a head line)
        kinds = [(o, n) for o, n in kinds if n or o is None or o == kind]
        width = (self.size.width or 200) - 2
        # at 120 columns: the counts without words, every kind kept; at 80, the kind shown
        # and the next one c goes to, with how many more there are
        for step in ("words", "terse", "selected"):
            terse = step != "words"
            head = Text(no_wrap=True)
            words = ("", "", "") if terse else (" over", " warning", " ok")
            head.append(f"✗ {counts['exceeded']}{words[0]}", style=LEVEL_STYLE["exceeded"])
            head.append(f"  ▲ {counts['warning']}{words[1]}", style=LEVEL_STYLE["warning"])
            head.append(f"  ✓ {counts['ok']}{words[2]}", style=LEVEL_STYLE["ok"])
            head.append("  " if terse else "   show: ", style="bold")
            options = kinds
            if step == "selected":
                at = next(i for i, (o, _) in enumerate(kinds) if o == kind)
                options = [kinds[at], kinds[(at + 1) % len(kinds)]]
            for option, n in options:
                title = KIND_TERSE.get(option or "", KIND_TITLES[option]) if terse else KIND_TITLES[option]
                head.append(f" {title} {n} ", style="reverse bold" if option == kind else "")
            if step == "selected" and len(kinds) > 2:
                head.append(f" +{len(kinds) - 2} kinds", style="dim")
            if head.cell_len <= width:
                break
        hint = "  c kind · enter: the rule" if kind == "rule" else "  c kind · e edit key"
        if head.cell_len + len(hint) <= width:
            head.append(hint, style="dim")  # (dropped rather than cut when the counts are wide)
        self.query_one("#budget-head", Static).update(head)
        if kind == "rule":
            self._show_rules(rules, results)
            return
        self.set_class(not shown, "-empty")
        if not shown:
            what = "budgets" if kind is None else KIND_TITLES[kind]
            self.query_one("#budget-empty", Static).update(
                Text(
                    f"No {what} with a limit. LiteLLM budgets are set on keys (n creates one, e edits one), "
                    "teams, users, customers, organizations, projects, team members, tags and per model "
                    "(model_max_budget); spendtui's own plans go under `budgets:` in the config file (see README).",
                    style="dim",
                )
            )
        self.query_one(BudgetTable).show(shown)
        self.query_one("#budget-notes", Static).update("\n".join(f"note: {n}" for n in board.notes))

    def _show_rules(self, rules: RuleBoard | None, results: list[RuleResult]) -> None:
        from spendtui.tui.widgets.rules import RuleTable

        self.set_class(not results, "-empty")
        if not results:
            self.query_one("#budget-empty", Static).update(
                Text(
                    "No spend rules. Rules alert on spend, requests, tokens, failures or a failure rate "
                    "of a model, tag, key, team… per hour, day, week or month, or on a spike against "
                    "the same hour of the last 7 days: `rules:` (or LiteLLM's `slack_alerts:`) in the "
                    "config file (see README).",
                    style="dim",
                )
            )
        self.query_one(RuleTable).show(results)
        notes = rules.notes if rules is not None else ()
        self.query_one("#budget-notes", Static).update("\n".join(f"note: {n}" for n in notes))
