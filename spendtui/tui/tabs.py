"""Pane tab titles that fit the terminal: ``1 Overview`` on wide screens, the words only
from 86 columns, and under that (80 columns) the active pane's word among the others' keys."""

from __future__ import annotations

from textual.widgets import TabbedContent

from spendtui.dashboard.state import ENTITY_PANE, ENTITY_TITLES, PANE_KEYS, PANES

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
    "costs": "$ Costs",
}
PANE_WORDS = {pane: title[2:].replace("Live tail", "Tail") for pane, title in PANE_TITLES.items()}
#: From this width the titles carry their key (``1 Overview``).
TAB_NUMBERS_FROM = 110
#: Under this width only the active tab has its word; the others show their key.
TAB_WORDS_FROM = 86


def tab_title(pane: str, width: int, active: bool, entity: str = "customer") -> str:
    """The tab's title; the Entities pane's names its entity (``7 Orgs``)."""
    key = PANE_KEYS[pane]
    word = ENTITY_TITLES.get(entity, "Customers") if pane == ENTITY_PANE else PANE_WORDS[pane]
    if width >= TAB_NUMBERS_FROM:
        return f"{key} {word}" if pane == ENTITY_PANE else PANE_TITLES[pane]
    if width >= TAB_WORDS_FROM or active:
        return word
    return key


class PaneTabs(TabbedContent):
    """The panes' tabs, titled to fit whenever the width changes (``tab_title``)."""

    #: The Entities pane's entity, as its tab names it.
    entity = "customer"

    def on_resize(self) -> None:
        self.title_tabs(self.active)

    def title_tabs(self, active: str, entity: str | None = None) -> None:
        if entity is not None:
            self.entity = entity
        width = self.size.width or self.app.size.width
        for pane in PANES:
            title = tab_title(pane, width, pane == active, self.entity)
            tab = self.get_tab(pane)
            if str(tab.label) != title:
                tab.label = title
