"""The LiteLLM proxy REST source (see ``source.py``)."""

from spendtui.sources.proxy.http import HttpSettings
from spendtui.sources.proxy.source import ProxySource

__all__ = ["HttpSettings", "ProxySource"]
