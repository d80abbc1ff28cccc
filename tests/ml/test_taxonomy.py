"""Taxonomies as data: the default one, validation, and the refusal to track organising."""

from __future__ import annotations

import pytest
import yaml

from earful.ml.taxonomy import TaxonomyError, load_default, parse

ASKED_FOR = {
    "App & technology": {"Crashes and login", "GPS and maps", "Scanning", "Notifications"},
    "Scheduling & blocks": {
        "Availability",
        "Block pay and surges",
        "Bots and auto-grabbers",
        "Cancellations",
    },
    "Pay & earnings": {"Payment errors", "Missing tips", "Rates", "Expenses"},
    "Delivery operations": {"Station waits", "Routes", "Package volume", "Customer access", "Returns"},
    "Support & account": {"Unhelpful support", "Deactivation", "Verification"},
    "Safety & incidents": {"Violence and robbery", "Road accidents", "Weather", "Animals"},
    "Customers": {"Non-compliant customers", "Complaints about drivers"},
    "Media coverage": set(),
    "Praise & positive experiences": set(),
    "Other": set(),
}


def test_the_default_taxonomy_has_the_categories_the_team_sorts_by() -> None:
    taxonomy = load_default()
    found = {c.name: {s.name for s in taxonomy.children(c.key)} for c in taxonomy.categories}
    assert found == ASKED_FOR
    for node in taxonomy.nodes:
        assert node.description, node.key
        leaf = not taxonomy.children(node.key)
        if leaf:
            assert len(node.examples) >= 2, node.key  # one English, one Spanish at least
            assert node.keywords or node.key == "other", node.key


def test_a_taxonomy_survives_a_round_trip_through_yaml() -> None:
    taxonomy = load_default()
    assert parse(yaml.safe_dump(taxonomy.to_dict(), allow_unicode=True)) == taxonomy


@pytest.mark.parametrize(
    "name",
    [
        "Union organising",
        "Strike talk",
        "Protests",
        "Contact with journalists",
        "Huelga",
        "Talking to the press",
    ],
)
def test_a_category_that_tracks_organising_or_press_contact_is_refused(name: str) -> None:
    text = yaml.safe_dump({"name": "t", "categories": [{"key": "watch", "name": name}]})
    with pytest.raises(TaxonomyError, match="does not track organising"):
        parse(text)


def test_keywords_are_checked_too_but_examples_may_mention_anything() -> None:
    hidden = {"key": "pay", "name": "Pay", "keywords": ["tips", "sindicato"]}
    with pytest.raises(TaxonomyError, match="sindicato"):
        parse(yaml.safe_dump({"categories": [hidden]}))
    fine = {"key": "pay", "name": "Pay", "examples": ["Pay is so low people talk of a strike"]}
    assert parse(yaml.safe_dump({"categories": [fine]})).nodes[0].key == "pay"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("[1, 2]", "non-empty list under 'categories'"),
        ("categories: [{key: App, name: x}]", "lower-case letters"),
        ("categories: [{key: app}]", "name must be a non-empty string"),
        ("categories: [{key: app, name: A}, {key: app, name: B}]", "repeated: app"),
        ("categories: [{key: app, name: A, subcategories: [{key: pay.x, name: X}]}]", "must start with"),
        ("categories: [{key: app, name: A, keywords: crash}]", "list of strings"),
        ("categories: [{key: app, name: A", "not valid YAML"),
    ],
)
def test_a_broken_taxonomy_is_refused_with_what_to_fix(data: str, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        parse(data)
