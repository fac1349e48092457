"""The help screen: every key binding, grouped, plus what the panes show."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Panes",
        [
            ("1", "Overview"),
            ("2", "Models: spend, tokens, latency p50/p95 and time to first token"),
            ("3", "Tags"),
            ("4", "Keys"),
            ("5", "Users"),
            ("6", "Teams"),
            ("7", "Entities: customers, organizations, projects, agents, sessions or MCP tools (c / C)"),
            ("8", "Charts: daily spend, today by hour, daily latency"),
            ("9", "Live tail"),
            ("0", "Budgets: gauges, most urgent first"),
            ("$", "Costs: every logged cost checked against the price map (zero-cost, drifted, unpriced)"),
        ],
    ),
    (
        "Time and filters",
        [
            ("w", "next window: today, 7 d, 30 d, month to date, quarter to date"),
            ("W", "custom dates (UTC)"),
            ("f", "filter every pane by the selected row"),
            ("F", "pick a filter (model, tag, key, user, team, customer, organization, project, agent)"),
            ("x", "clear all filters"),
            ("/", "search the table"),
        ],
    ),
    (
        "Tables",
        [
            ("enter", "drill into the selected row or budget (escape returns)"),
            ("s / S", "sort by the next column / reverse (or click a header)"),
            ("c / C", "Tags: next category (all tags, project, team, env, …) / pick one"),
            ("c / C", "Entities: next entity (customers, orgs, projects, agents, sessions, tools) / pick one"),
            (
                "c",
                "Budgets: next kind (all, keys, teams, users, customers, orgs, projects, members, tags, models, plans)",
            ),
            ("g", "Charts: split daily bars by models or tags"),
            ("space", "Live tail: pause or follow"),
            ("E", "export the table on screen to a new CSV file in the working directory"),
        ],
    ),
    (
        "Keys",
        [
            ("n", "new budgeted key (shown once, with copy to clipboard)"),
            ("e", "Keys or Budgets pane: edit the selected key's budget"),
            ("b / B", "Keys or Budgets pane: block / unblock the selected key"),
            ("D", "Keys or Budgets pane: delete the selected key (asks first)"),
            ("", "writes go through the proxy; into a database only with --allow-db-writes (the demo allows them)"),
        ],
    ),
    (
        "Forms and dialogs",
        [
            ("tab / shift+tab", "next / previous field"),
            ("enter", "submit (from a text field); pick (in a list)"),
            ("ctrl+s", "create the key (New key form)"),
            ("space", "pick or unpick a model: [x] picked, [ ] not"),
            ("escape", "cancel"),
        ],
    ),
    (
        "Refresh",
        [
            ("r", "refresh now, also looking back for late rows"),
            ("p", "pause / resume"),
            ("+ / -", "refresh interval (minimum 1 s)"),
        ],
    ),
    (
        "App",
        [
            ("ctrl+p", "command palette: panes, windows, profiles, themes"),
            ("P", "switch profile"),
            ("?", "this help"),
            ("q", "quit"),
        ],
    ),
]


def help_table() -> Group:
    """One table per group, each headed by its name: the key column is as wide as the
    group's keys (a group name in it would push every action to the right)."""
    tables: list[Table | Text] = []
    for group, rows in KEYS:
        table = Table(
            box=None,
            show_header=False,
            padding=(0, 1),
            title=Text(group, style="bold underline"),
            title_justify="left",
            pad_edge=False,
        )
        table.add_column("key", style="bold", no_wrap=True, min_width=6)
        table.add_column("action")
        for key, action in rows:
            table.add_row(Text(key), Text(action))  # (not markup: "[x]" is text)
        tables.append(table)
        tables.append(Text(""))
    return Group(*tables)


class HelpScreen(ModalScreen[None]):
    """Press any of escape, q or ? to close."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("spendtui keys — all days are UTC · escape closes", style="bold"))
            yield Static(help_table())
            yield Static(
                Text(
                    "Money is exact: LiteLLM's per-request costs summed as integers, shown to the cent.",
                    style="dim",
                )
            )
