"""What the dashboard is doing before it has any data, or why it has none.

Shown instead of the panes until the first figures arrive: generating the demo database,
reading the source, or, when the source cannot be read, the reason in full and what
happens next. Empty panes marked STALE said none of that (issue 24)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StartupPanel(Static):
    DEFAULT_CSS = """
    StartupPanel { height: 1fr; content-align: center middle; padding: 1 2; }
    StartupPanel.-failed { background: $error 15%; }
    """

    def step(self, text: str, detail: str = "") -> None:
        """A step of the start: ``Loading spend from …``."""
        self.remove_class("-failed")
        message = Text(text + " …", style="bold")
        if detail:
            message.append("\n\n" + detail, style="dim")
        self.update(message)

    def failed(self, source: str, error: str, retry: str) -> None:
        """No data: the source's error, in full, and what happens next."""
        self.add_class("-failed")
        message = Text("spendtui cannot read its source\n\n", style="bold")
        message.append(source + "\n", style="bold")
        message.append(error + "\n\n")
        message.append(retry, style="dim")
        self.update(message)
