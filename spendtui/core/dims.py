"""Interned dimension values: every repeated string in the spend data is stored once.

A cube cell refers to its dimensions by small integers. Two composite ids keep cells
narrow: a *model context* (model name, provider) and a *key context* (api key, user,
team), because a key nearly always belongs to one user and team. Tag sets are interned
as sorted tuples of tag ids.
"""

from __future__ import annotations

import json

import numpy as np

NONE_LABEL = "(none)"
UNTAGGED_LABEL = "(untagged)"
INVALID_TAGS_LABEL = "(unreadable tags)"
FIELD_SEP = "\x1f"


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


class Dimensions:
    """All interned values of one cube, plus the composite contexts cells refer to."""

    def __init__(self) -> None:
        self.models = Interner()
        self.providers = Interner()
        self.keys = Interner()
        self.users = Interner()
        self.teams = Interner()
        self.customers = Interner()
        self.tags = Interner()
        # model context: (model id, provider id)
        self._mctx: dict[tuple[int, int], int] = {(0, 0): 0}
        self.mctx_model: list[int] = [0]
        self.mctx_provider: list[int] = [0]
        # key context: (key id, user id, team id)
        self._kctx: dict[tuple[int, int, int], int] = {(0, 0, 0): 0}
        self.kctx_key: list[int] = [0]
        self.kctx_user: list[int] = [0]
        self.kctx_team: list[int] = [0]
        # tag sets: id 0 is untagged
        self._tagsets: dict[tuple[int, ...], int] = {(): 0}
        self.tagset_tags: list[tuple[int, ...]] = [()]
        self._tag_text: dict[str, tuple[int, bool]] = {}
        self.invalid_tag_id = self.tags.intern(INVALID_TAGS_LABEL)
        # composite row keys as sources send them -> (mctx, kctx, customer, tagset, tags_ok)
        self._composite: dict[str, tuple[int, int, int, int, bool]] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._derived: dict[tuple[str, object], object] = {}
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

    def key_context(self, api_key: str | None, user: str | None, team: str | None) -> int:
        key = (self.keys.intern(api_key), self.users.intern(user), self.teams.intern(team))
        found = self._kctx.get(key)
        if found is None:
            found = self._kctx[key] = len(self.kctx_key)
            self.kctx_key.append(key[0])
            self.kctx_user.append(key[1])
            self.kctx_team.append(key[2])
            self._changed()
        return found

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
        """Intern a source row key ``model␟provider␟api_key␟user␟team␟end_user␟tags``."""
        found = self._composite.get(text)
        if found is None:
            parts = text.split(FIELD_SEP, 6)
            if len(parts) != 7:
                raise ValueError("malformed composite key")
            model, provider, api_key, user, team, customer, tags = parts
            tagset, ok = self.tagset(tags)
            found = (
                self.model_context(model, provider),
                self.key_context(api_key, user, team),
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
        self.version += 1

    def array(self, name: str) -> np.ndarray:
        """A context table (``mctx_model``, ``kctx_team``...) as a cached numpy array."""
        found = self._arrays.get(name)
        if found is None:
            found = self._arrays[name] = np.asarray(getattr(self, name), dtype=np.int64)
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

    def tag_pairs(self, category: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(tag set ids, target ids, target labels) spreading tag-set sums onto tags.

        Without a category the targets are tags (untagged sets go to target 0, "");
        with one, the values of that category (sets lacking it go to target 0).
        """
        key = ("pairs", category)
        found = self._derived.get(key)
        if found is None:
            labels: list[str] = [""]
            index: dict[str, int] = {"": 0}
            sets: list[int] = []
            targets: list[int] = []
            for set_id, tags in enumerate(self.tagset_tags):
                names = [self.tags.values[t] for t in tags]
                if category is not None:
                    names = sorted({tag_value(n) for n in names if tag_category(n) == category})
                for name in names or [""]:
                    target = index.get(name)
                    if target is None:
                        target = index[name] = len(labels)
                        labels.append(name)
                    sets.append(set_id)
                    targets.append(target)
            found = (np.asarray(sets, dtype=np.intp), np.asarray(targets, dtype=np.intp), labels)
            self._derived[key] = found
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
