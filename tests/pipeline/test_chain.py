"""The chain: stages run in order, see each other's outputs, and re-run only from a version bump."""

from __future__ import annotations

from typing import Any

import pytest

from earful.pipeline.chain import Chain, StageFailed, build_chain
from earful.pipeline.clean import clean_text
from earful.pipeline.dedupe import fingerprint
from earful.pipeline.pseudonymise import author_key
from earful.pipeline.stage import WorkItem

SECRET = b"test-secret-not-for-production"


class Recording:
    """A fake stage that counts its runs and writes one output."""

    def __init__(self, name: str, version: int = 1) -> None:
        self.name = name
        self.version = version
        self.runs = 0

    def run(self, item: WorkItem) -> dict[str, Any]:
        self.runs += 1
        return {f"{self.name}_saw": sorted(item.fields)}


class Failing:
    name = "broken"
    version = 1

    def run(self, item: WorkItem) -> dict[str, Any]:
        raise KeyError("missing field")


# Without a taxonomy loaded there is no classify stage.
DEFAULT_ORDER = [
    "clean",
    "language",
    "redact",
    "pseudonymise",
    "dedupe",
    "neardup",
    "story",
    "sentiment",
    "urgency",
]


def test_default_chain_order() -> None:
    chain = build_chain(SECRET)
    assert [stage.name for stage in chain.stages] == DEFAULT_ORDER
    assert all(version >= 1 for version in chain.versions.values())


def test_stale_from_finds_the_first_stage_not_run_at_its_current_version() -> None:
    chain = Chain([Recording("a"), Recording("b", 2), Recording("c")])
    assert chain.stale_from({}) == 0
    assert chain.stale_from({"a": 1, "b": 2, "c": 1}) == 3
    assert chain.stale_from({"a": 1, "b": 1, "c": 1}) == 1
    assert chain.stale_from({"a": 1, "b": 2}) == 2
    assert chain.stale_from({"a": 0, "b": 2, "c": 1}) == 0


def test_bumping_a_version_reruns_only_that_stage_and_later_ones() -> None:
    a, b, c = Recording("a"), Recording("b"), Recording("c")
    results = Chain([a, b, c]).run(WorkItem(text="hi"))
    done = {name: version for name, version, _ in results}
    assert (a.runs, b.runs, c.runs) == (1, 1, 1)

    b_bumped = Recording("b", version=2)
    chain = Chain([a, b_bumped, c])
    start = chain.stale_from(done)
    assert start == 1
    rerun = chain.run(WorkItem(text="hi"), start)
    assert [(name, version) for name, version, _ in rerun] == [("b", 2), ("c", 1)]
    assert (a.runs, b_bumped.runs, c.runs) == (1, 1, 2)
    done.update({name: version for name, version, _ in rerun})
    assert chain.stale_from(done) == 3


def test_later_stages_see_earlier_outputs() -> None:
    item = WorkItem(text="hi")
    results = Chain([Recording("a"), Recording("b")]).run(item)
    assert results[1][2] == {"b_saw": ["a_saw"]}
    assert item.fields == {"a_saw": [], "b_saw": ["a_saw"]}


def test_full_chain_works_on_the_cleaned_text() -> None:
    raw = "RT @Driver_Ann: The app crashed &amp; logged me out &quot;again&quot; < / P >"
    item = WorkItem(text=raw, title="<b>App</b> &amp; pay", author_handle="@Driver_Ann")
    results = build_chain(SECRET, ["en", "es"]).run(item)
    assert [name for name, _, _ in results] == DEFAULT_ORDER
    assert clean_text(raw) == 'RT @Driver_Ann: The app crashed & logged me out "again"'
    assert item.text == 'RT [HANDLE]: The app crashed & logged me out "again"'  # redacted after cleaning
    assert item.fields["redactions"] == {"HANDLE": 1}
    assert item.title == "App & pay"
    assert item.fields["language"] == "en"
    assert item.fields["author_key"] == author_key(SECRET, "driver_ann")
    assert item.fields["fingerprint"] == fingerprint('The app crashed & logged me out "again"')
    assert item.fields["removed"] == ["html entities (4)", "html tags (3)"]


def test_a_failing_stage_is_named_and_keeps_its_cause() -> None:
    before = Recording("before")
    after = Recording("after")
    item = WorkItem(text="hi")
    with pytest.raises(StageFailed) as caught:
        Chain([before, Failing(), after]).run(item)
    assert caught.value.stage_name == caught.value.stage == "broken"
    assert isinstance(caught.value.original, KeyError)
    assert caught.value.__cause__ is caught.value.original
    assert "broken" in str(caught.value)
    assert after.runs == 0
    assert "before_saw" in item.fields


def test_stage_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="a"):
        Chain([Recording("a"), Recording("a")])


@pytest.mark.parametrize("start", [-1, 4])
def test_start_must_lie_within_the_chain(start: int) -> None:
    with pytest.raises(ValueError):
        Chain([Recording("a"), Recording("b"), Recording("c")]).run(WorkItem(text="hi"), start)


def test_start_at_the_end_runs_nothing() -> None:
    assert Chain([Recording("a")]).run(WorkItem(text="hi"), 1) == []
