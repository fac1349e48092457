"""spendtui: a live terminal dashboard and headless reports for LiteLLM proxy spend.

Importing the package imports nothing heavy; the Textual UI lives in ``spendtui.tui``.
"""

__version__ = "0.1.0"
