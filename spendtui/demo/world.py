"""The demo organisation: teams, users, customers and a few hundred virtual keys, and the
LiteLLM organizations, projects and agents they belong to.

Everything derives from one seed, so the same seed always builds the same world. The
organizations, projects and agents (LiteLLM 1.108) are drawn from a random stream of their
own, after everything else, so adding them changed no key, team or request of a seed; so
are the keys that take up a new model (only their requests above its share move to it).
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
    #: The LiteLLM organization the team belongs to (None: none).
    organization_id: str | None = None
    #: Moved to LiteLLM_DeletedTeamTable (its keys and logs stay).
    deleted: bool = False


@dataclass(frozen=True)
class DemoOrganization:
    organization_id: str
    alias: str


@dataclass(frozen=True)
class DemoProject:
    project_id: str
    alias: str
    team_id: str | None


@dataclass(frozen=True)
class DemoAgent:
    agent_id: str
    name: str
    description: str


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
    #: What the key belongs to now (``LiteLLM_VerificationToken`` organization_id,
    #: project_id, agent_id); None: nothing.
    organization_id: str | None = None
    project_id: str | None = None
    agent_id: str | None = None
    #: The organization LiteLLM logs on the key's requests (``LiteLLM_SpendLogs``
    #: organization_id): the key's, else its team's; for a key moved since, the old one.
    logged_organization_id: str | None = None
    #: Moved to LiteLLM_DeletedVerificationToken (its logs stay).
    deleted: bool = False


@dataclass
class DemoWorld:
    seed: int
    teams: list[DemoTeam]
    users: list[tuple[str, DemoTeam | None]]
    customers: list[str]
    keys: list[DemoKey]
    #: Selection probabilities of keys (sums to 1).
    key_p: np.ndarray
    organizations: list[DemoOrganization] = field(default_factory=list)
    projects: list[DemoProject] = field(default_factory=list)
    agents: list[DemoAgent] = field(default_factory=list)

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
        model_ids = rng.choice(len(popularity), size=n_models, replace=False, p=popularity)
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
    world = DemoWorld(seed, teams, users, customers, keys, weights / weights.sum())
    _add_owners(world, np.random.default_rng([seed, 7]))
    _take_up_new_models(world, np.random.default_rng([seed, 13]))
    return world


def _take_up_new_models(world: DemoWorld, rng: np.random.Generator) -> None:
    """Some keys (``catalog.NEW_MODEL_KEYS``) send part of their traffic to each model
    after the ones every key draws from: the new model takes that part from the top of the
    key's cumulative shares, so the key's requests below it keep their model. A stream of
    its own, two draws per key and model, so adding a new model changed no other key,
    team or request."""
    first_new = len(catalog.MODEL_POPULARITY)
    lo, hi = catalog.NEW_MODEL_SHARE
    for index in range(first_new, len(catalog.MODELS)):
        for key in world.keys:
            u = rng.random(2)
            if u[0] >= catalog.NEW_MODEL_KEYS:
                continue
            share = lo + (hi - lo) * float(u[1])
            key.model_ids = np.append(key.model_ids, index).astype(np.int64)
            key.model_cum = np.append(np.minimum(key.model_cum, 1.0 - share), 1.0)
            if key.models_allowed:
                key.models_allowed = (*key.models_allowed, catalog.MODELS[index].name)


def _ident(prefix: str, rng: np.random.Generator) -> str:
    return f"{prefix}-{rng.bytes(6).hex()}"


def _add_owners(world: DemoWorld, rng: np.random.Generator) -> None:
    """Organizations, projects and agents, and which teams and keys belong to them.

    Teams belong to their cost centre's organization (one team to none); most keys to
    their team's organization, some only through their team (no organization_id of their
    own), a few to another one; keys without a team to an organization or none. Keys get
    the project their name says (a few none), agent projects' keys often an agent. Two
    keys changed organization after logging requests (``logged_organization_id``).
    Draws only from ``rng``, a stream of its own, in a fixed number per key.
    """
    world.organizations = [DemoOrganization(_ident("org", rng), alias) for alias in catalog.ORGANIZATIONS]
    org_by_alias = {o.alias: o.organization_id for o in world.organizations}
    org_ids = [o.organization_id for o in world.organizations]
    for team in world.teams:
        alias = catalog.TEAM_ORGANIZATION.get(team.tag)
        team.organization_id = org_by_alias[alias] if alias else None
    world.agents = [DemoAgent(str(uuid.UUID(bytes=rng.bytes(16), version=4)), n, d) for n, d in catalog.AGENTS]
    agent_by_name = {a.name: a.agent_id for a in world.agents}
    project_ids = {name: _ident("proj", rng) for name in catalog.PROJECTS if name not in catalog.NO_PROJECT}
    for key in world.keys:
        u = rng.random(4)
        team_org = key.team.organization_id if key.team else None
        other = org_ids[int(u[1] * len(org_ids))]
        if key.team is not None:
            key.organization_id = None if u[0] < 0.2 else (other if u[0] < 0.25 else team_org)
        else:
            key.organization_id = other if u[0] < 0.5 else None
        key.logged_organization_id = key.organization_id or team_org
        if u[2] >= 0.15:
            key.project_id = project_ids.get(key.project)
        agent = catalog.PROJECT_AGENTS.get(key.project)
        if agent is not None and u[3] < agent[1]:
            key.agent_id = agent_by_name[agent[0]]
    for i in rng.choice(len(world.keys), size=2, replace=False):
        key = world.keys[int(i)]
        team_org = key.team.organization_id if key.team else None
        current = key.organization_id or team_org
        key.logged_organization_id = org_ids[(org_ids.index(current) + 1) % len(org_ids)] if current else org_ids[0]
    world.projects = [
        DemoProject(project_id, name, _main_team(world, project_id)) for name, project_id in project_ids.items()
    ]


def _main_team(world: DemoWorld, project_id: str) -> str | None:
    """The team most of a project's keys belong to (ties: the first such team)."""
    counts: dict[str, int] = {}
    for key in world.keys:
        if key.project_id == project_id and key.team is not None:
            counts[key.team.team_id] = counts.get(key.team.team_id, 0) + 1
    return max(counts, key=lambda t: counts[t]) if counts else None
