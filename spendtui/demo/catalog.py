"""What the demo world is made of: its models (as the proxy routes and logs them), teams and names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoModel:
    """One public model name (``model_group``) as a LiteLLM proxy would route it.

    Its price is not here: the demo logs what LiteLLM would, from LiteLLM's own price map
    (the snapshot spendtui bundles) under LiteLLM's lookup of the logged ``model`` and
    ``custom_llm_provider`` (``spendtui.demo.costs``)."""

    name: str
    provider: str
    #: Typical prompt and completion sizes (log-normal medians).
    prompt_median: int
    completion_median: int
    call_type: str = "acompletion"
    #: The provider's own name for the model when it is not ``name`` (what LiteLLM routes to).
    provider_model: str | None = None

    @property
    def litellm_model(self) -> str:
        """The ``model`` column: provider-qualified, as LiteLLM logs it."""
        return f"{self.provider}/{self.provider_model or self.name}"


#: The seed's models plus common OpenAI, Anthropic and Google ones, each routed where
#: LiteLLM's price map knows it: the grok-4-1 fast models through Azure AI Foundry (the map
#: has no ``xai/grok-4-1-fast-*``), Perplexity's under their API names, Claude Opus 4.1 on
#: Bedrock (the map prices ``claude-opus-4-1`` only there). The last one is a new model the
#: map does not know yet: LiteLLM logs its requests at $0 (``costs.MISSING_FROM_MAP``).
MODELS: tuple[DemoModel, ...] = (
    DemoModel("grok-code-fast-1", "xai", 2400, 900),
    DemoModel("grok-4-1-fast-reasoning", "azure_ai", 1800, 1400),
    DemoModel("grok-4-1-fast-non-reasoning", "azure_ai", 1200, 400),
    DemoModel("perplexity-sonar-deep-research", "perplexity", 600, 3500, provider_model="sonar-deep-research"),
    DemoModel("perplexity-sonar-pro", "perplexity", 500, 700, provider_model="sonar-pro"),
    DemoModel("gpt-4o", "openai", 1500, 450),
    DemoModel("gpt-4o-mini", "openai", 900, 300),
    DemoModel("gpt-4.1", "openai", 2200, 600),
    DemoModel("gpt-4.1-mini", "openai", 1100, 350),
    DemoModel("o4-mini", "openai", 1300, 1800),
    DemoModel("text-embedding-3-small", "openai", 400, 0, "aembedding"),
    DemoModel("claude-sonnet-4-5", "anthropic", 2600, 700),
    DemoModel("claude-haiku-4-5", "anthropic", 1000, 300),
    DemoModel("claude-opus-4-1", "bedrock", 3000, 900, provider_model="us.anthropic.claude-opus-4-1-20250805-v1:0"),
    DemoModel("gemini-2.5-flash", "gemini", 1400, 500),
    DemoModel("gemini-2.5-pro", "gemini", 2400, 800),
    DemoModel("deepseek-v4.1", "deepseek", 1600, 700),
)

#: Relative popularity of each model across keys (same order as MODELS), for the models
#: every key draws from; the models after them are new ones that some keys take up later.
MODEL_POPULARITY: tuple[float, ...] = (
    9,
    4,
    6,
    1.5,
    2.5,
    8,
    14,
    6,
    7,
    3,
    5,
    8,
    7,
    1,
    8,
    3,
)
#: Share of keys that send part of their traffic to each new model (``MODELS`` after the
#: ones ``MODEL_POPULARITY`` lists), and the range of the part.
NEW_MODEL_KEYS = 0.12
NEW_MODEL_SHARE = (0.2, 0.6)

TEAMS: tuple[tuple[str, str, str], ...] = (
    # (tag value, alias, cost centre)
    ("ml", "ML Platform", "research"),
    ("web", "Web", "engineering"),
    ("data", "Data Engineering", "engineering"),
    ("search", "Search", "product"),
    ("support", "Customer Support", "support"),
    ("research", "Research", "research"),
    ("mobile", "Mobile", "engineering"),
    ("growth", "Growth", "marketing"),
    ("infra", "Infrastructure", "engineering"),
    ("security", "Security", "engineering"),
)

PROJECTS: tuple[str, ...] = (
    "web-app",
    "mobile-app",
    "search",
    "chatbot",
    "data-pipeline",
    "internal-tools",
    "analytics",
    "support-bot",
    "code-review",
    "research-agent",
)
#: LiteLLM organizations, and the organization of each team (by tag; absent: none).
ORGANIZATIONS: tuple[str, ...] = ("Acme Retail", "Acme Research", "Acme Platform", "Acme Support")
TEAM_ORGANIZATION: dict[str, str] = {
    "ml": "Acme Research",
    "research": "Acme Research",
    "web": "Acme Platform",
    "data": "Acme Platform",
    "mobile": "Acme Platform",
    "infra": "Acme Platform",
    "search": "Acme Retail",
    "growth": "Acme Retail",
    "support": "Acme Support",
}
#: Project names (above) that are no LiteLLM project: their keys have no project_id.
NO_PROJECT: tuple[str, ...] = ("internal-tools", "analytics")
#: LiteLLM agents (name, description), and the agent of each project's keys with its share.
AGENTS: tuple[tuple[str, str], ...] = (
    ("research-agent", "Literature search and summaries"),
    ("support-triage", "Routes and drafts support answers"),
    ("code-reviewer", "Reviews pull requests"),
    ("pipeline-runner", "Runs data pipeline steps"),
)
PROJECT_AGENTS: dict[str, tuple[str, float]] = {
    "research-agent": ("research-agent", 0.8),
    "support-bot": ("support-triage", 0.5),
    "code-review": ("code-reviewer", 0.6),
    "data-pipeline": ("pipeline-runner", 0.3),
}
ENVS: tuple[tuple[str, float], ...] = (("prod", 0.55), ("staging", 0.25), ("dev", 0.20))
FEATURES: tuple[str, ...] = (
    "chat",
    "search",
    "summarize",
    "codegen",
    "embeddings",
    "agent",
    "translate",
)
FIRST_NAMES: tuple[str, ...] = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "yasmin",
    "zoe",
    "arjun",
    "bea",
    "chen",
    "diego",
    "emma",
    "farah",
    "goran",
    "hana",
    "ines",
)

#: Hour-of-day traffic shape (UTC), a working-day curve with a long tail.
HOUR_SHAPE: tuple[float, ...] = (
    0.25,
    0.2,
    0.18,
    0.18,
    0.2,
    0.3,
    0.5,
    0.8,
    1.2,
    1.6,
    1.8,
    1.9,
    1.8,
    1.85,
    1.9,
    1.8,
    1.6,
    1.3,
    1.0,
    0.8,
    0.65,
    0.5,
    0.4,
    0.3,
)
#: Monday..Sunday.
WEEKDAY_SHAPE: tuple[float, ...] = (1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4)
