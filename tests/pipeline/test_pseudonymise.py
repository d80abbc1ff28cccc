"""The pseudonymise stage: a stable keyed pseudonym per author that never reveals the handle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from earful.pipeline.pseudonymise import PseudonymiseStage, author_key, normalise_handle
from earful.pipeline.stage import WorkItem

SECRET = b"test-secret-not-for-production"
OTHER_SECRET = b"another-deployment-secret"


@pytest.mark.parametrize(
    "spelling", ["@Driver_Joe", "driver_joe", "  @DRIVER_JOE ", "Driver_Joe\n", "＠Ｄｒｉｖｅｒ_Ｊｏｅ"]
)
def test_one_author_spelled_differently_gets_one_key(spelling: str) -> None:
    assert author_key(SECRET, spelling) == author_key(SECRET, "driver_joe")


def test_keys_are_stable_across_releases() -> None:
    # Stored keys group an author's posts over years: changing this value orphans all of them.
    assert author_key(SECRET, "@Driver_Joe") == "a_r4qojzlcm5iaoyfwufov"
    reference = hmac.new(SECRET, b"driver_joe", hashlib.sha256).digest()
    assert author_key(SECRET, "@Driver_Joe") == "a_" + base64.b32encode(reference)[:20].decode().lower()


def test_another_secret_gives_another_key() -> None:
    assert author_key(OTHER_SECRET, "driver_joe") != author_key(SECRET, "driver_joe")


def test_different_authors_get_different_keys() -> None:
    keys = {author_key(SECRET, f"driver_{n}") for n in range(2000)}
    assert len(keys) == 2000


@pytest.mark.parametrize("handle", [None, "", "   ", "@", " @ "])
def test_no_handle_gives_no_key(handle: str | None) -> None:
    assert author_key(SECRET, handle) is None


@pytest.mark.parametrize("handle", ["@flex_driver_la", "maria.gomez", "TylerSonnemaker", "joe"])
def test_the_key_has_a_fixed_shape_and_never_contains_the_handle(handle: str) -> None:
    key = author_key(SECRET, handle)
    assert key is not None
    assert re.fullmatch(r"a_[a-z2-7]{20}", key)
    assert normalise_handle(handle) not in key


def test_handles_normalise_the_way_platforms_compare_them() -> None:
    assert normalise_handle("  @@Flex_Driver ") == "flex_driver"


def test_stage_outputs_only_the_key() -> None:
    out = PseudonymiseStage(SECRET).run(WorkItem(text="hi", author_handle="@Driver_Joe"))
    assert out == {"author_key": author_key(SECRET, "driver_joe")}
    assert PseudonymiseStage(SECRET).run(WorkItem(text="hi")) == {"author_key": None}


def test_stage_never_shows_its_secret() -> None:
    assert SECRET.decode() not in repr(PseudonymiseStage(SECRET))


@pytest.mark.parametrize("secret", [b"", "text-not-bytes"])
def test_an_empty_or_textual_secret_is_refused(secret: bytes) -> None:
    with pytest.raises(ValueError):
        PseudonymiseStage(secret)
    with pytest.raises(ValueError):
        author_key(secret, "driver_joe")
