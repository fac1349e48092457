"""spendtui's commands in Textual's command palette (ctrl+p)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from spendtui.dashboard.state import PANE_KEYS, PANES, WINDOW_LABELS, WINDOWS

if TYPE_CHECKING:
    from spendtui.tui.app import SpendApp


class SpendCommands(Provider):
    """Panes, windows, filters, refresh control and profiles."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: SpendApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, Callable[[], object], str]] = []
        for pane in PANES:
            out.append((f"Go to {pane}", partial(app.action_pane, pane), f"key {PANE_KEYS[pane]}"))
        for window in WINDOWS:
            out.append((f"Window: {WINDOW_LABELS[window]}", partial(app.set_window, window), "w cycles"))
        out += [
            ("Window: custom dates…", app.action_custom_window, "W"),
            ("Filter…", app.action_pick_filter, "F"),
            ("Clear filters", app.action_clear_filters, "x"),
            ("Export the table on screen to CSV", app.action_export, "E"),
            ("Refresh now", app.action_refresh_now, "r"),
            ("Pause or resume refreshing", app.action_toggle_pause, "p"),
            ("Tags: group by category…", app.action_pick_tag_category, "C"),
            ("Entities: customers, organizations, projects or agents…", app.action_pick_entity, "7 then c / C"),
            ("Charts: split by models or tags", app.action_chart_split, "g"),
            ("Help: keys", app.action_help, "?"),
        ]
        for name in app.config.profiles:
            out.append((f"Profile: {name}", partial(app.switch_profile, name), "switch data source"))
        return out

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
