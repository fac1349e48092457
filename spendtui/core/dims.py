"""Interned dimension values: every repeated string in the spend data is stored once.

A cube cell refers to its dimensions by small integers. Two composite ids keep cells
narrow: a *model context* (model name, provider) and a *key context* (api key, user,
team, and the organization and agent the request row names), because a key nearly always
belongs to one user, team, organization and agent. Tag sets are interned as sorted
tuples of tag ids.

Organization, project and agent are *attributed* (``Attribution``): a row's own
``organization_id`` / ``agent_id`` when it has one, else what its key (and, for the
organization, its team) belongs to now. Rows logged before LiteLLM had those columns, or
by a version that left them NULL, are counted where LiteLLM's own daily tables would count
them today. The attribution comes from the key and team tables and is applied when a
question is asked, so a refresh of those tables re-attributes without a reload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

NONE_LABEL = "(none)"
UNTAGGED_LABEL = "(untagged)"
INVALID_TAGS_LABEL = "(unreadable tags)"
FIELD_SEP = "\x1f"


def no_category_label(category: str) -> str:
    """``(no cost-center)``: the value and name of the row of a ``tag:cost-center``
    breakdown for requests that have tags but no ``cost-center:...`` one. (The row of
    requests without any tag is ``""``, shown ``(untagged)``.) A literal tag
    ``cost-center:(no cost-center)`` would say the same, and is counted the same."""
    return f"(no {category})"


def is_placeholder(value: str, dimension: str) -> bool:
    """Whether a row of a ``dimension`` breakdown stands for "no value" rather than a value
    found in the data: ``""`` ((none), (untagged)) or, for ``tag:<category>``, (no <category>)."""
    return not value or (dimension.startswith("tag:") and value == no_category_label(dimension[4:]))


def tag_filter(category: str | None, value: str) -> str:
    """The ``Filters.tag`` value selecting the requests of one row of a tag breakdown.

    ``tag``: the tag itself, ``""`` for (untagged). ``tag:project``: ``project:web`` for the
    row ``web``, ``project:(no project)`` for (no project), ``""`` for (untagged).
    """
    if not value or category is None:
        return value
    return f"{category}:{value}"


def lacked_category(text: str) -> str | None:
    """``project`` for the tag filter value ``project:(no project)``, else None."""
    category, sep, value = text.partition(":")
    return category if sep and category and value == no_category_label(category) else None


def is_placeholder_filter(text: str) -> bool:
    """Whether a tag filter value selects (untagged) or (no <category>) rather than a tag."""
    return not text or lacked_category(text) is not None


def describe_tag_filter(text: str) -> str:
    """A tag filter value as people read it: ``(untagged)``, ``(no project)`` or the tag."""
    if not text:
        return UNTAGGED_LABEL
    category = lacked_category(text)
    return no_category_label(category) if category is not None else text


def category_values(tags: Iterable[str], category: str) -> set[str]:
    """The values of ``category`` among ``tags`` (``project:`` with no value, and
    ``project:(no project)``, count as none)."""
    none = no_category_label(category)
    return {v for t in tags if tag_category(t) == category and (v := tag_value(t)) and v != none}


def request_tags(raw: object) -> tuple[str, ...]:
    """The tags a request counts under, from its raw ``request_tags`` (as the cube counts it):
    the readable tags, plus ``(unreadable tags)`` when the value was not readable."""
    tags, readable = parse_tags(raw)
    return tags if readable else tuple(sorted({*tags, INVALID_TAGS_LABEL}))


def tags_match(tags: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether a request with these tags (``request_tags``) passes a tag filter: any of
    ``wanted``, each a tag, ``""`` (untagged) or ``<category>:(no <category>)`` (tags, none
    of the category), as the cube's filters count it."""
    tags = set(tags)
    for item in wanted:
        lacked = lacked_category(item) if item else None
        if not item:
            if not tags:
                return True
        elif lacked is not None:
            if tags and not category_values(tags, lacked):
                return True
        elif item in tags:
            return True
    return False


class Interner:
    """Strings to dense ids; id 0 is the empty value (NULL or '')."""

    __slots__ = ("ids", "values")

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}
        self.values: list[str] = [""]

    def intern(self, value: str | None) -> int:
        if not value:
            return 0
        found = self.ids.get(value)
        if found is None:
            found = self.ids[value] = len(self.values)
            self.values.append(value)
        return found

    def get(self, value: str) -> int | None:
        return self.ids.get(value)

    def __len__(self) -> int:
        return len(self.values)


def parse_tags(text: object) -> tuple[tuple[str, ...], bool]:
    """Tags from a ``request_tags`` value, and whether the value was readable.

    A JSON array of strings is the normal case; non-string items are dropped (and the
    value reported unreadable). NULL, '' and ``[]`` mean untagged. Tags are stripped,
    de-duplicated and sorted, so the same set always has the same identity.
    """
    if text is None:
        return (), True
    if isinstance(text, list):
        items: object = text
    else:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not isinstance(text, str):
            return (), False
        stripped = text.strip()
        if not stripped or stripped == "null":
            return (), True
        try:
            items = json.loads(stripped)
        except (ValueError, RecursionError):
            return (), False
    if items is None:
        return (), True
    if not isinstance(items, list):
        return (), False
    clean = {item.strip() for item in items if isinstance(item, str) and item.strip()}
    readable = all(isinstance(item, str) for item in items)
    return tuple(sorted(clean)), readable


def tag_category(tag: str) -> str | None:
    """``project`` for ``project:web-app``; None for a tag without a category."""
    head, sep, _ = tag.partition(":")
    return head.strip() if sep and head.strip() else None


def tag_value(tag: str) -> str:
    """``web-app`` for ``project:web-app``."""
    return tag.partition(":")[2].strip()


@dataclass(frozen=True)
class Attribution:
    """What keys and teams belong to (from ``LiteLLM_VerificationToken`` and
    ``LiteLLM_TeamTable``; deleted keys and teams included), by key hash and team id."""

    key_organization: Mapping[str, str] = field(default_factory=dict)
    key_project: Mapping[str, str] = field(default_factory=dict)
    key_agent: Mapping[str, str] = field(default_factory=dict)
    team_organization: Mapping[str, str] = field(default_factory=dict)


#: Key-context tables attributed on demand (``Dimensions.array``), with the interner
#: their values live in.
ATTRIBUTED = {"kctx_organization": "organizations", "kctx_project": "projects", "kctx_agent": "agents"}
#: Parts of a composite row key, as the sources build it.
COMPOSITE_PARTS = 9


class Dimensions:
    """All interned values of one cube, plus the composite contexts cells refer to."""

    def __init__(self) -> None:
        self.models = Interner()
        self.providers = Interner()
        self.keys = Interner()
        self.users = Interner()
        self.teams = Interner()
        self.customers = Interner()
        self.organizations = Interner()
        self.projects = Interner()
        self.agents = Interner()
        self.tags = Interner()
        # model context: (model id, provider id)
        self._mctx: dict[tuple[int, int], int] = {(0, 0): 0}
        self.mctx_model: list[int] = [0]
        self.mctx_provider: list[int] = [0]
        # key context: (key id, user id, team id, the row's organization id, its agent id)
        self._kctx: dict[tuple[int, int, int, int, int], int] = {(0, 0, 0, 0, 0): 0}
        self.kctx_key: list[int] = [0]
        self.kctx_user: list[int] = [0]
        self.kctx_team: list[int] = [0]
        self.kctx_row_organization: list[int] = [0]
        self.kctx_row_agent: list[int] = [0]
        self.attribution = Attribution()
        # tag sets: id 0 is untagged
        self._tagsets: dict[tuple[int, ...], int] = {(): 0}
        self.tagset_tags: list[tuple[int, ...]] = [()]
        self._tag_text: dict[str, tuple[int, bool]] = {}
        self.invalid_tag_id = self.tags.intern(INVALID_TAGS_LABEL)
        # composite row keys as sources send them -> (mctx, kctx, customer, tagset, tags_ok)
        self._composite: dict[str, tuple[int, int, int, int, bool]] = {}
        self._arrays: dict[str, np.ndarray] = {}
        #: Per-tag-set masks (``tagset_has``, ``tag_filter_mask``, ``tagset_lacks``) and
        #: ``tag_pairs`` answers, until the next change.
        self._derived: dict[tuple[str, object], np.ndarray] = {}
        self._pairs: dict[str | None, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        self.version = 0

    def model_context(self, model: str | None, provider: str | None) -> int:
        key = (self.models.intern(model), self.providers.intern(provider))
        found = self._mctx.get(key)
        if found is None:
            found = self._mctx[key] = len(self.mctx_model)
            self.mctx_model.append(key[0])
            self.mctx_provider.append(key[1])
            self._changed()
        return found

    def key_context(
        self,
        api_key: str | None,
        user: str | None,
        team: str | None,
        organization: str | None = None,
        agent: str | None = None,
    ) -> int:
        key = (
            self.keys.intern(api_key),
            self.users.intern(user),
            self.teams.intern(team),
            self.organizations.intern(organization),
            self.agents.intern(agent),
        )
        found = self._kctx.get(key)
        if found is None:
            found = self._kctx[key] = len(self.kctx_key)
            self.kctx_key.append(key[0])
            self.kctx_user.append(key[1])
            self.kctx_team.append(key[2])
            self.kctx_row_organization.append(key[3])
            self.kctx_row_agent.append(key[4])
            self._changed()
        return found

    def attribute(self, attribution: Attribution) -> None:
        """Use this attribution from now on (a no-op when it is the same)."""
        if attribution != self.attribution:
            self.attribution = attribution
            self._changed()

    def _attributed(self, name: str) -> list[int]:
        """Per key context: its organization, project or agent id (see ``Attribution``)."""
        a = self.attribution
        keys, teams = self.keys.values, self.teams.values
        if name == "kctx_project":
            intern = self.projects.intern
            return [intern(a.key_project.get(keys[k])) for k in self.kctx_key]
        if name == "kctx_agent":
            intern = self.agents.intern
            by_key = a.key_agent
            return [
                row or intern(by_key.get(keys[k])) for k, row in zip(self.kctx_key, self.kctx_row_agent, strict=True)
            ]
        intern = self.organizations.intern
        by_key, by_team = a.key_organization, a.team_organization
        return [
            row or intern(by_key.get(keys[k]) or by_team.get(teams[t]))
            for k, t, row in zip(self.kctx_key, self.kctx_team, self.kctx_row_organization, strict=True)
        ]

    def tagset(self, raw: object) -> tuple[int, bool]:
        """Tag-set id for a raw ``request_tags`` value, and whether it was readable."""
        cache_key = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, default=str)
        found = self._tag_text.get(cache_key)
        if found is not None:
            return found
        tags, readable = parse_tags(raw)
        ids = tuple(sorted(self.tags.intern(t) for t in tags))
        if not readable:
            ids = tuple(sorted({*ids, self.invalid_tag_id}))
        found = (self._tagset_id(ids), readable)
        self._tag_text[cache_key] = found
        return found

    def _tagset_id(self, ids: tuple[int, ...]) -> int:
        found = self._tagsets.get(ids)
        if found is None:
            found = self._tagsets[ids] = len(self.tagset_tags)
            self.tagset_tags.append(ids)
            self._changed()
        return found

    def composite(self, text: str) -> tuple[int, int, int, int, bool]:
        """Intern a source row key
        ``model␟provider␟api_key␟user␟team␟end_user␟organization␟agent␟tags``."""
        found = self._composite.get(text)
        if found is None:
            parts = text.split(FIELD_SEP, COMPOSITE_PARTS - 1)
            if len(parts) != COMPOSITE_PARTS:
                raise ValueError("malformed composite key")
            model, provider, api_key, user, team, customer, organization, agent, tags = parts
            tagset, ok = self.tagset(tags)
            found = (
                self.model_context(model, provider),
                self.key_context(api_key, user, team, organization, agent),
                self.customers.intern(customer),
                tagset,
                ok,
            )
            self._composite[text] = found
        return found

    def forget_load_caches(self) -> None:
        """Drop lookup caches that only speed up a cold load (they hold every row key)."""
        self._composite.clear()

    def _changed(self) -> None:
        self._arrays.clear()
        self._derived.clear()
        self._pairs.clear()
        self.version += 1

    def array(self, name: str) -> np.ndarray:
        """A context table (``mctx_model``, ``kctx_team``, ``kctx_organization``...) as a
        cached numpy array."""
        found = self._arrays.get(name)
        if found is None:
            values = self._attributed(name) if name in ATTRIBUTED else getattr(self, name)
            found = self._arrays[name] = np.asarray(values, dtype=np.int64)
        return found

    def tagset_has(self, tag_ids: frozenset[int]) -> np.ndarray:
        """Boolean per tag set: does it contain any of ``tag_ids`` (cached)."""
        key = ("has", tag_ids)
        found = self._derived.get(key)
        if found is None:
            found = np.fromiter(
                (any(t in tag_ids for t in tags) for tags in self.tagset_tags),
                dtype=bool,
                count=len(self.tagset_tags),
            )
            self._derived[key] = found
        return found

    def tag_filter_mask(self, wanted: frozenset[str]) -> np.ndarray:
        """Boolean per tag set: does it pass a ``Filters.tag`` value set (see ``tags_match``;
        an unreadable ``request_tags`` counts as tags, none of any category). Cached."""
        key = ("filter", wanted)
        found = self._derived.get(key)
        if found is None:
            tags = [v for v in wanted if not is_placeholder_filter(v)]
            ids = frozenset(i for v in tags if (i := self.tags.get(v)) is not None)
            found = self.tagset_has(ids).copy()
            if "" in wanted:
                found[0] = True
            for item in wanted:
                lacked = lacked_category(item)
                if lacked is not None:
                    found |= self.tagset_lacks(lacked)
            self._derived[key] = found
        return found

    def tagset_lacks(self, category: str) -> np.ndarray:
        """Boolean per tag set: has tags, but no value of ``category`` (cached)."""
        key = ("lacks", category)
        found = self._derived.get(key)
        if found is None:
            values = self.tags.values
            found = np.fromiter(
                (bool(tags) and not category_values((values[t] for t in tags), category) for tags in self.tagset_tags),
                dtype=bool,
                count=len(self.tagset_tags),
            )
            self._derived[key] = found
        return found

    def tag_pairs(self, category: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(tag set ids, target ids, target values) spreading tag-set sums onto tags.

        Without a category the targets are tags (untagged sets go to target 0, "");
        with one, the values of that category; a set with tags but no value of the
        category goes to ``(no <category>)``, an empty set to target 0 ("", untagged).
        """
        found = self._pairs.get(category)
        if found is None:
            labels: list[str] = [""]
            index: dict[str, int] = {"": 0}
            sets: list[int] = []
            targets: list[int] = []
            for set_id, tags in enumerate(self.tagset_tags):
                names = [self.tags.values[t] for t in tags]
                if category is not None and names:
                    names = sorted(category_values(names, category)) or [no_category_label(category)]
                for name in names or [""]:
                    target = index.get(name)
                    if target is None:
                        target = index[name] = len(labels)
                        labels.append(name)
                    sets.append(set_id)
                    targets.append(target)
            found = (np.asarray(sets, dtype=np.intp), np.asarray(targets, dtype=np.intp), labels)
            self._pairs[category] = found
        return found

    def memory_hint(self) -> int:
        """Number of interned values (for diagnostics)."""
        return sum(
            len(i)
            for i in (
                self.models,
                self.providers,
                self.keys,
                self.users,
                self.teams,
                self.customers,
                self.tags,
            )
        )
