"""How a generic record's fields are picked: best-ranked name first, blanks passed over, other
spellings of a name matched, the same shape of record read afresh each time."""

from __future__ import annotations

from earful.connectors.files.records import check_record, map_record


def test_the_best_ranked_non_blank_name_wins_whatever_the_order() -> None:
    draft = map_record({"content": "third", "body": "second", "text": "first", "id": 1})
    assert draft.text == "first"
    draft = map_record({"content": "third", "body": "second", "text": "", "id": 1})
    assert draft.text == "second"
    draft = map_record({"content": "third", "body": None, "text": "", "id": 1})
    assert draft.text == "third"


def test_the_same_shape_with_other_blanks_picks_other_fields() -> None:
    shape = ("id", "external_id", "text", "message", "user", "handle")
    first = map_record(dict(zip(shape, ("a", "b", "hi", "yo", "ann", "bo"), strict=True)))
    second = map_record(dict(zip(shape, ("", "b", "", "yo", None, "bo"), strict=True)))
    assert (first.external_id, first.text, first.author_handle) == ("a", "hi", "ann")
    assert (second.external_id, second.text, second.author_handle) == ("b", "yo", "bo")


def test_keys_in_other_case_or_spacing_count_and_the_first_of_equal_names_wins() -> None:
    draft = map_record({" Text ": "spaced", "TEXT": "upper", "Likes": "7", "likes": 3, "id": "x"})
    assert draft.text == "spaced"
    assert draft.engagement == {"likes": 7}
    draft = map_record({" Text ": "", "TEXT": "upper", "id": "x"})
    assert draft.text == "upper"


def test_a_record_without_text_says_what_it_looked_for() -> None:
    problem, _ = check_record({"id": 1, "title": "no text"})
    assert problem is not None and "text, body, message, content" in problem
    problem, _ = check_record({1: "x", None: "y", "text": "z"})
    assert problem is None
