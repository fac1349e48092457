"""Prices from the proxy's ``/model/info``: one entry per deployment, by its public name.

``/model/info`` answers ``{"data": [{"model_name", "litellm_params", "model_info"}, ...]}``;
``model_info`` carries the prices LiteLLM bills the deployment at (its map entry with any
custom ``model_info`` prices), and ``litellm_params`` any custom prices set there, which
win (``core.price_files.deployment_price``). A model name served by several deployments
at different prices keeps the first one's, with a note. 401/403 and 404 come as the
proxy source's own errors (``SourceAuthError``, ``FeatureMissing``); a price the proxy
reports that is not a usable number is a ``SourceDataError`` naming the model.
"""

from __future__ import annotations

from collections.abc import Mapping

from spendtui.core.price_files import Deployments, PriceError
from spendtui.core.prices import PriceMap
from spendtui.errors import SourceDataError
from spendtui.sources.proxy.http import ProxyHttp

PATH = "/model/info"
SOURCE = "proxy /model/info"


def prices_from_model_info(body: object, where: str = SOURCE) -> PriceMap:
    """The price map of one ``/model/info`` answer."""
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise SourceDataError(f"{where}: expected {{'data': [...]}}, got {type(body).__name__}")
    found = Deployments(where)
    for item in data:
        if not isinstance(item, Mapping) or not isinstance(item.get("model_name"), str):
            continue
        try:
            found.add(item["model_name"], item.get("litellm_params"), item.get("model_info"))
        except PriceError as exc:
            raise SourceDataError(str(exc)) from None
    return found.price_map(SOURCE)


def read_proxy_prices(http: ProxyHttp) -> PriceMap:
    """The proxy's deployment prices (one GET of ``/model/info``)."""
    return prices_from_model_info(http.get(PATH).body, f"{http.display}{PATH}")
