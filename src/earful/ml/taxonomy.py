"""Taxonomies as data: categories and subcategories with descriptions, keywords and examples.

A taxonomy is written in YAML (see data/delivery_driver.yaml, the default) and validated here
before anything else sees it. Validation includes a rule Earful keeps for every taxonomy, not
only its own: no category may track organising, strikes, protests or contact with researchers
or the press. Tracking those harms people and is unlawful in many places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

DEFAULT = "delivery_driver.yaml"
# The key of the category for drivers hurt, threatened or in danger: routed, and ranked, first.
SAFETY = "safety"
MAX_TEXT = 2000
_KEY = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?$")

# What no category may be about, in English and Spanish. Matched against a category's key, name,
# description and keywords (its examples are posts, which may mention anything).
_FORBIDDEN = re.compile(
    r"(?i)\b(?:unions?|unioni[sz]\w*|organi[sz](?:e|es|ed|ing|ers?|ation)\b|strikes?|strikers?|"
    r"walk-?outs?|picket\w*|protest\w*|collective\s+(?:action|bargaining)|petitions?|"
    r"sindicat\w*|huelgas?|paros?\s+laborales?|protesta\w*|manifestaci\w*|organizar\w*|"
    r"researchers?|investigador\w*|academics?|journalists?|reporters?|periodistas?|"
    r"(?:talk|talking|speak|speaking|contact\w*)\s+(?:to|with)\s+(?:the\s+)?(?:press|media)|"
    r"hablar\s+con\s+(?:la\s+)?prensa)"
)


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used, with what to fix."""


@dataclass(frozen=True, slots=True)
class Node:
    """A category (no parent) or a subcategory of one."""

    key: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    parent: str | None = None
    # Hours an escalated post of this category has to be acknowledged and resolved; None: the default.
    acknowledge_hours: float | None = None
    resolve_hours: float | None = None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A validated taxonomy: categories in order, each followed by its subcategories."""

    name: str
    nodes: tuple[Node, ...] = field(default=())

    @property
    def categories(self) -> list[Node]:
        """Return the top-level categories."""
        return [n for n in self.nodes if n.parent is None]

    def children(self, key: str) -> list[Node]:
        """Return the subcategories of category `key`."""
        return [n for n in self.nodes if n.parent == key]

    def get(self, key: str) -> Node:
        """Return the node called `key`; raise KeyError naming the known keys when there is none."""
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(f"no category {key!r}; known: {', '.join(n.key for n in self.nodes)}")

    def to_dict(self) -> dict[str, Any]:
        """Return the taxonomy in the shape of its YAML file."""

        def one(node: Node) -> dict[str, Any]:
            out: dict[str, Any] = {"key": node.key, "name": node.name, "description": node.description}
            if node.keywords:
                out["keywords"] = list(node.keywords)
            if node.examples:
                out["examples"] = list(node.examples)
            sla = {
                name: hours
                for name, hours in (
                    ("acknowledge_hours", node.acknowledge_hours),
                    ("resolve_hours", node.resolve_hours),
                )
                if hours is not None
            }
            if sla:
                out["sla"] = sla
            return out

        return {
            "name": self.name,
            "categories": [
                one(c)
                | ({"subcategories": [one(s) for s in self.children(c.key)]} if self.children(c.key) else {})
                for c in self.categories
            ],
        }


def load_default() -> Taxonomy:
    """Return the taxonomy Earful ships: the delivery-driver experience."""
    return parse(files("earful.ml").joinpath("data", DEFAULT).read_text(encoding="utf-8"), DEFAULT)


def load(path: Path) -> Taxonomy:
    """Read and validate the taxonomy in a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read {path}: {exc}") from exc
    return parse(text, path.name)


def parse(text: str, origin: str = "taxonomy") -> Taxonomy:
    """Validate a taxonomy written as YAML and return it; raise TaxonomyError saying what to fix."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{origin} is not valid YAML: {exc}") from exc
    return from_dict(data, origin)


def from_dict(data: Any, origin: str = "taxonomy") -> Taxonomy:
    """Validate a taxonomy given as plain data (as YAML or JSON parse it) and return it."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list) or not data["categories"]:
        raise TaxonomyError(f"{origin}: expected a mapping with a non-empty list under 'categories'")
    name = _text(data.get("name") or "Taxonomy", f"{origin}: name")
    nodes: list[Node] = []
    for i, raw in enumerate(data["categories"], start=1):
        category = _node(raw, None, f"{origin}: category {i}")
        nodes.append(category)
        subs = raw.get("subcategories") or []
        if not isinstance(subs, list):
            raise TaxonomyError(f"{origin}: 'subcategories' of {category.key} must be a list")
        for j, sub in enumerate(subs, start=1):
            node = _node(sub, category.key, f"{origin}: {category.key} subcategory {j}")
            if not node.key.startswith(category.key + "."):
                raise TaxonomyError(
                    f"{origin}: subcategory key {node.key!r} must start with its category's key, "
                    f"e.g. {category.key}.{node.key.rsplit('.', 1)[-1]}"
                )
            nodes.append(node)
    keys = [n.key for n in nodes]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise TaxonomyError(f"{origin}: keys must be unique, repeated: {', '.join(repeated)}")
    return Taxonomy(name=name, nodes=tuple(nodes))


def _node(raw: Any, parent: str | None, where: str) -> Node:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: expected a mapping with key, name and description")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise TaxonomyError(
            f"{where}: key {key!r} must be lower-case letters, digits and _ "
            "(a subcategory's is its category's key, a dot, and its own)"
        )
    if parent is None and "." in key:
        raise TaxonomyError(f"{where}: a category key has no dot: {key!r}")
    node = Node(
        key=key,
        name=_text(raw.get("name"), f"{where}: name"),
        description=_text(raw.get("description") or "", f"{where}: description", required=False),
        keywords=_texts(raw.get("keywords"), f"{where}: keywords"),
        examples=_texts(raw.get("examples"), f"{where}: examples"),
        parent=parent,
        **_sla(raw.get("sla"), f"{where}: sla"),
    )
    _refuse_surveillance(node, where)
    return node


def _sla(value: Any, where: str) -> dict[str, float]:
    """Return the node's SLA hours from `sla: {acknowledge_hours: 1, resolve_hours: 24}`."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not set(value) <= {"acknowledge_hours", "resolve_hours"}:
        raise TaxonomyError(f"{where} must be a mapping with acknowledge_hours and/or resolve_hours")
    hours: dict[str, float] = {}
    for name, raw in value.items():
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= 24 * 365:
            raise TaxonomyError(f"{where}: {name} must be a number of hours above 0 (at most a year)")
        hours[name] = float(raw)
    if hours.get("acknowledge_hours", 0) > hours.get("resolve_hours", float("inf")):
        raise TaxonomyError(f"{where}: acknowledge_hours cannot be longer than resolve_hours")
    return hours


def surveillance_term(text: str) -> str | None:
    """Return the words in `text` that are about organising, strikes, protest or contact with
    researchers or the press (which Earful does not track), or None."""
    found = _FORBIDDEN.search(text)
    return found.group() if found else None


def _refuse_surveillance(node: Node, where: str) -> None:
    for value in (node.key.replace("_", " "), node.name, node.description, *node.keywords):
        found = _FORBIDDEN.search(value)
        if found:
            raise TaxonomyError(
                f"{where} ({node.key}) is about {found.group()!r}. Earful does not track organising, "
                "strikes, protests, or contact with researchers or the press: doing so harms people "
                "and is unlawful in many places. Remove that category or rewrite it as the "
                "operational issue behind it."
            )


def _text(value: Any, where: str, *, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise TaxonomyError(f"{where} must be {'a non-empty' if required else 'a'} string")
    if len(value) > MAX_TEXT:
        raise TaxonomyError(f"{where} is longer than {MAX_TEXT} characters")
    return value.strip()


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise TaxonomyError(f"{where} must be a list of strings")
    return tuple(_text(str(v), where) for v in value)
