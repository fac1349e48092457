"""Shown when nothing is configured: how to point spendtui at a proxy or a database."""

from __future__ import annotations

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from spendtui.tui.widgets.keybar import KeyBar

WELCOME = """\
# spendtui: nothing to read yet

Just looking? Press **d** (or run `spendtui --demo`) for a live demo on generated data.

spendtui shows the spend a LiteLLM proxy records. Point it at the proxy's **database**
(read-only) or its **REST API**:

```
spendtui --db postgresql://user:pass@host:5432/litellm
spendtui --proxy https://litellm.example.com --key sk-…
```

or set `DATABASE_URL`, or `LITELLM_PROXY_URL` with `LITELLM_PROXY_API_KEY`
(`LITELLM_MASTER_KEY` also works), or write `{config}`:

```yaml
default_profile: prod
profiles:
  prod:
    database_url: os.environ/DATABASE_URL
    proxy_url: https://litellm.example.com
    api_key: os.environ/LITELLM_MASTER_KEY
```

Press **q** to quit.
"""


class WelcomeScreen(Screen[str | None]):
    BINDINGS = [Binding("d", "demo", "Start the demo"), Binding("q,escape", "quit", "Quit")]
    DEFAULT_CSS = """
    WelcomeScreen VerticalScroll { padding: 1 2; }
    """

    def __init__(self, config_path: str) -> None:
        super().__init__()
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Markdown(WELCOME.format(config=self.config_path)))
        yield KeyBar()

    def action_demo(self) -> None:
        self.dismiss("demo")

    def action_quit(self) -> None:
        self.app.exit(0)
