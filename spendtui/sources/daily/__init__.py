"""LiteLLM's daily aggregate tables as fact cubes: shared by the proxy source (REST) and the
database source (SQL, ``history: daily``)."""
