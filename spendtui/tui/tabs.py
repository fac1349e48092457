"""Pane tab titles that fit the terminal: ``1 Overview`` on wide screens, the words
only at 80 columns, and under that the active pane's word among the others' keys."""

from __future__ import annotations

from textual.widgets import TabbedContent

from spendtui.dashboard.state import PANES

PANE_TITLES = {
    "overview": "1 Overview",
    "models": "2 Models",
    "tags": "3 Tags",
    "keys": "4 Keys",
    "users": "5 Users",
    "teams": "6 Teams",
    "customers": "7 Customers",
    "charts": "8 Charts",
    "tail": "9 Live tail",
    "budgets": "0 Budgets",
}
PANE_WORDS = {pane: title[2:].replace("Live tail", "Tail") for pane, title in PANE_TITLES.items()}
#: From this width the titles carry their key (``1 Overview``).
TAB_NUMBERS_FROM = 104
#: Under this width only the active tab has its word; the others show their key.
TAB_WORDS_FROM = 80


def tab_title(pane: str, width: int, active: bool) -> str:
    if width >= TAB_NUMBERS_FROM:
        return PANE_TITLES[pane]
    if width >= TAB_WORDS_FROM or active:
        return PANE_WORDS[pane]
    return str((PANES.index(pane) + 1) % 10)


class PaneTabs(TabbedContent):
    """The panes' tabs, titled to fit whenever the width changes (``tab_title``)."""

    def on_resize(self) -> None:
        self.title_tabs(self.active)

    def title_tabs(self, active: str) -> None:
        width = self.size.width or self.app.size.width
        for pane in PANES:
            title = tab_title(pane, width, pane == active)
            tab = self.get_tab(pane)
            if str(tab.label) != title:
                tab.label = title
