"""The demo organisation: teams, users, customers and a few hundred virtual keys.

Everything derives from one seed, so the same seed always builds the same world.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

import numpy as np

from spendtui.demo import catalog


def hash_key(raw: str) -> str:
    """LiteLLM's key hash: sha256 hex of the raw ``sk-`` key."""
    return hashlib.sha256(raw.encode()).hexdigest()


def abbreviate_key(raw: str) -> str:
    """LiteLLM's ``key_name`` form: ``sk-...`` plus the last 4 characters."""
    return f"sk-...{raw[-4:]}"


@dataclass
class DemoTeam:
    team_id: str
    tag: str
    alias: str
    cost_center: str
    max_budget: float | None = None
    budget_duration: str | None = None


@dataclass
class DemoKey:
    raw: str
    token: str
    alias: str
    user_id: str
    team: DemoTeam | None
    project: str
    env: str
    feature: str
    #: The tag categories this key's callers attach, most common first.
    tag_order: tuple[str, ...]
    model_ids: np.ndarray
    model_cum: np.ndarray
    customers: tuple[str, ...]
    weight: float
    max_budget: float | None = None
    budget_duration: str | None = None
    soft_budget: float | None = None
    tpm_limit: int | None = None
    rpm_limit: int | None = None
    models_allowed: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class DemoWorld:
    seed: int
    teams: list[DemoTeam]
    users: list[tuple[str, DemoTeam | None]]
    customers: list[str]
    keys: list[DemoKey]
    #: Selection probabilities of keys (sums to 1).
    key_p: np.ndarray

    def key_budgets(self) -> list[DemoKey]:
        return [k for k in self.keys if k.max_budget is not None]


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def build_world(seed: int, n_keys: int = 300) -> DemoWorld:
    """Build the deterministic demo organisation for ``seed``."""
    rng = np.random.default_rng([seed, 1])
    teams = [DemoTeam(_uuid(rng), tag, alias, cc) for tag, alias, cc in catalog.TEAMS]
    users: list[tuple[str, DemoTeam | None]] = []
    for i in range(60):
        name = catalog.FIRST_NAMES[i % len(catalog.FIRST_NAMES)]
        user_id = name if i < len(catalog.FIRST_NAMES) else f"{name}{i // len(catalog.FIRST_NAMES) + 1}"
        team = teams[int(rng.integers(len(teams)))] if rng.random() < 0.9 else None
        users.append((user_id, team))
    customers = sorted({f"customer_{int(n):05d}" for n in rng.integers(10000, 99999, 450)})
    popularity = np.array(catalog.MODEL_POPULARITY, dtype=float)
    popularity /= popularity.sum()
    keys: list[DemoKey] = []
    aliases_seen: dict[str, int] = {}
    for i in range(n_keys):
        user_id, user_team = users[int(rng.integers(len(users)))]
        team = user_team if rng.random() < 0.88 else None
        project = catalog.PROJECTS[int(rng.integers(len(catalog.PROJECTS)))]
        env_names = [e for e, _ in catalog.ENVS]
        env = env_names[int(rng.choice(len(env_names), p=[p for _, p in catalog.ENVS]))]
        feature = catalog.FEATURES[int(rng.integers(len(catalog.FEATURES)))]
        n_models = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
        model_ids = rng.choice(len(catalog.MODELS), size=n_models, replace=False, p=popularity)
        shares = rng.dirichlet(np.ones(n_models) * 1.5)
        customer_facing = rng.random() < 0.4
        n_customers = int(rng.integers(3, 25)) if customer_facing else 0
        key_customers = tuple(customers[int(j)] for j in rng.choice(len(customers), size=n_customers, replace=False))
        categories = ["project", "env", "team", "cost-center", "feature", "sprint"]
        order = tuple(categories[int(j)] for j in rng.permutation(len(categories)))
        base_alias = f"{project}-{env}"
        aliases_seen[base_alias] = aliases_seen.get(base_alias, 0) + 1
        alias = f"{base_alias}-{aliases_seen[base_alias]}"
        raw = f"sk-demo{seed}-{i:04d}-" + rng.bytes(9).hex()
        weight = float(rng.pareto(1.3) + 0.05)
        keys.append(
            DemoKey(
                raw=raw,
                token=hash_key(raw),
                alias=alias,
                user_id=user_id,
                team=team,
                project=project,
                env=env,
                feature=feature,
                tag_order=order,
                model_ids=model_ids.astype(np.int64),
                model_cum=np.cumsum(shares),
                customers=key_customers,
                weight=weight,
                models_allowed=tuple(catalog.MODELS[int(j)].name for j in model_ids) if rng.random() < 0.5 else (),
                tpm_limit=int(rng.choice([100_000, 500_000, 2_000_000])) if rng.random() < 0.3 else None,
                rpm_limit=int(rng.choice([60, 300, 1000])) if rng.random() < 0.3 else None,
            )
        )
    weights = np.array([k.weight for k in keys])
    for team in teams:
        if rng.random() < 0.8:
            team.budget_duration = str(rng.choice(["30d", "1mo", "30d", "7d"]))
    return DemoWorld(seed, teams, users, customers, keys, weights / weights.sum())
