"""Spike explanations: what rose against its own baseline, which words, which posts, in one sentence."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from earful.insights import explain
from earful.store.db import Database
from earful.store.models import Post
from earful.store.repos import insights as insights_repo
from tests.factories import label, make_source, posts_at

END = datetime(2026, 11, 30, 12, tzinfo=UTC)  # the hour after the spike; a Monday
START = END - timedelta(hours=3)  # the spike covers 09:00, 10:00 and 11:00
PSEUDONYM = "a_k3mx7q2p4r5s6t7u2v3w"  # what an author key looks like, should one reach a text
UK_CRASHES = (
    "since update 4.2 the app crashes whenever I open the scanner",
    "update 4.2 broke the scanner <i>again</i>, crashes every single time",
    f"[NAME] and {PSEUDONYM} say the scanner freezes after update 4.2",
)
MX_CRASHES = (
    "la app se cierra cuando abro el escáner desde la actualización",
    "desde la actualización el escáner se cierra y no puedo con la ruta",
)
BASELINE_UK = "the pin is in the wrong street again"
BASELINE_MX = "no me pagaron las propinas de la semana otra vez"
SPANISH_STOP = {"la", "se", "el", "cuando", "desde", "y", "no", "con", "me", "las", "de"}


def plant(db: Database) -> dict[str, list[int]]:
    """Four weeks of GPS complaints in the UK (two an hour) and missing tips in Mexico (one an hour);
    then three hours in which crashes after an update pour in: twelve an hour in the UK in English,
    four an hour in Mexico in Spanish. Return the ids planted, by kind."""
    uk = make_source(db, "r/uk_drivers", region="UK")
    mx = make_source(db, "r/mx_repartidores", region="Mexico", language="es")
    hours = [END - timedelta(hours=h) for h in range(1, 28 * 24 + 1)]
    made = {
        "gps": posts_at(db, uk, [h + timedelta(minutes=m) for h in hours for m in (10, 40)], BASELINE_UK),
        "tips": posts_at(db, mx, [h + timedelta(minutes=20) for h in hours], BASELINE_MX, language="es"),
        "uk": [],
        "mx": [],
    }
    for hour in range(3):
        at = START + timedelta(hours=hour)
        for i in range(12):
            made["uk"] += posts_at(
                db, uk, [at + timedelta(minutes=5 * i)], UK_CRASHES[i % 3], author_key=f"a_uk{hour}x{i}"
            )
        for i in range(4):
            made["mx"] += posts_at(
                db,
                mx,
                [at + timedelta(minutes=15 * i + 1)],
                MX_CRASHES[i % 2],
                language="es",
                author_key=f"a_mx{hour}x{i}",
            )
    # One post with a word nobody else used, and a repost of the first crash post.
    made["single"] = posts_at(db, uk, [START + timedelta(minutes=7)], "zeppelin scanner update 4.2")
    made["repost"] = posts_at(
        db, uk, [START + timedelta(minutes=8)], UK_CRASHES[0], repost_of="at-1-0", author_key="a_reposter"
    )
    label(db, made["gps"], "app.gps_maps", "complaint")
    label(db, made["tips"], "pay.tips", "complaint")
    crashes = made["uk"] + made["mx"] + made["single"] + made["repost"]
    label(db, crashes, "app.crashes_login", "complaint")
    return made


def store_spike(db: Database, category: str = "", region: str = "") -> int:
    with db.write() as session:
        return insights_repo.save_spike(
            session,
            category=category,
            region=region,
            started_at=START,
            ended_at=END - timedelta(hours=1),
            observed=21,
            expected=3.0,
            score=9.5,
        ).id


def test_the_category_that_rose_leads_and_its_words_explain_it(db: Database) -> None:
    plant(db)
    found = explain.explain(db, store_spike(db))
    assert found is not None
    assert found.hours == 3
    # The window holds 36 + 12 crash posts, the two planted extras, and the usual nine an hour... of 3.
    assert found.posts == 50 + 9 and found.usual == 9
    lead = found.subcategories[0]
    assert (lead.key, lead.name, lead.observed, lead.usual) == (
        "app.crashes_login",
        "App & technology > Crashes and login",
        50,
        0,
    )
    assert found.categories[0].key == "app"
    assert found.regions[0].name == "UK" and found.regions[0].observed == 38 + 6
    assert found.sources[0].name == "r/uk_drivers"
    # GPS and tips were as usual: they did not rise, so they are not listed as rising.
    assert "app.gps_maps" not in {r.key for r in found.subcategories}
    assert "pay.tips" not in {r.key for r in found.subcategories}
    terms = [t.text for t in found.terms]
    assert terms[:2] == ["update 4.2", "scanner"]
    assert "crashes" in terms and {"escáner", "cierra", "actualización"} & set(terms)
    baseline_words = {"pin", "wrong", "street", "wrong street", "propinas", "pagaron", "semana"}
    assert not baseline_words & set(terms)
    words = {w for t in terms for w in t.split()}
    assert not SPANISH_STOP & words  # Spanish stop words are over-represented too, and dropped
    assert not {"name", "a", PSEUDONYM, "k3mx7q2p4r5s6t7u2v3w"} & words  # placeholders, pseudonyms
    assert "zeppelin" not in words  # one post's word says nothing about the many
    assert all(t.posts >= explain.MIN_TERM_POSTS for t in found.terms)


def test_the_sentence_says_it(db: Database) -> None:
    plant(db)
    found = explain.explain(db, store_spike(db))
    assert found is not None
    assert found.sentence == (
        "App & technology > Crashes and login: 50 posts in 3 hours where 0 are usual, "
        "mostly UK; 'update 4.2', 'scanner'"
    )
    # A spike counted in one region does not say where it mostly was: it says so already.
    in_uk = explain.explain(db, store_spike(db, "app", "UK"))
    assert in_uk is not None
    assert in_uk.sentence == (
        "App & technology > Crashes and login: 38 posts in 3 hours where 0 are usual; 'update 4.2', 'scanner'"
    )
    assert [r.key for r in in_uk.categories] == []  # the spike is of one category: nothing to compare
    assert {r.name for r in in_uk.regions} <= {"UK"}


def test_representative_posts_are_typical_distinct_redacted_and_pseudonymous(db: Database) -> None:
    made = plant(db)
    found = explain.explain(db, store_spike(db))
    assert found is not None
    assert len(found.examples) == 3
    with db.read() as session:
        stored = {
            p.id: p
            for p in session.scalars(select(Post).where(Post.id.in_([e.post_id for e in found.examples])))
        }
    shapes = set()
    for example in found.examples:
        post = stored[example.post_id]
        assert example.text == post.text  # the stored text: redacted, never the raw item
        assert example.author_key == post.author_key and re.fullmatch(r"a_\w+", example.author_key or "")
        assert example.post_id not in made["repost"]
        assert "scanner" in example.text or "escáner" in example.text  # typical of the top terms
        shapes.add(re.sub(r"\d+$", "", example.text))
    assert len(shapes) == 3  # no two of the same text


def test_a_big_spike_is_read_in_a_bounded_sample(db: Database) -> None:
    plant(db)
    found = explain.explain(db, store_spike(db), max_posts=20)
    assert found is not None
    assert found.read == 20 and found.sampled
    assert found.posts == 59  # counts are counted, not sampled
    assert found.subcategories[0].key == "app.crashes_login"


def test_a_spike_with_nothing_new_to_say_still_has_a_sentence(db: Database) -> None:
    source = make_source(db, "r/leeds", region="Leeds")
    times = [END - timedelta(hours=h, minutes=m) for h in range(4, 28 * 24) for m in (10, 40)]
    times += [START + timedelta(minutes=m) for m in range(0, 60, 2)]
    label(db, posts_at(db, source, times, "pin in the wrong street"), "app.gps_maps", "complaint")
    with db.write() as session:
        spike_id = insights_repo.save_spike(
            session,
            category="app",
            region="",
            started_at=START,
            ended_at=START,
            observed=30,
            expected=2.0,
            score=12.0,
        ).id
    found = explain.explain(db, spike_id)
    assert found is not None
    assert found.terms == []
    assert (
        found.sentence
        == "App & technology > GPS and maps: 30 posts in 1 hour where 2 are usual, all in Leeds"
    )
    assert explain.explain(db, 99999) is None


def test_a_new_issue_with_no_baseline_of_its_own_still_gets_its_words(db: Database) -> None:
    """A category that was silent in the region before (the alert reads "where 0 are usual") has no
    baseline posts of its own to compare words with: they are compared with the region's posts."""
    leeds = make_source(db, "Leeds form", region="Leeds")
    hours = [END - timedelta(hours=h) for h in range(1, 28 * 24 + 1)]
    usual = posts_at(
        db, leeds, [h + timedelta(minutes=m) for h in hours for m in (10, 40)], "payslip question"
    )
    label(db, usual, "pay.tips", "neutral")
    crashes = [
        posts_at(
            db,
            leeds,
            [END + timedelta(minutes=i)],
            f"the driver app crashed at the depot {i}",
            author_key=f"a_d{i}",
        )[0]
        for i in range(6)
    ]
    label(db, crashes, "app.crashes_login", "complaint")
    with db.write() as session:
        spike_id = insights_repo.save_spike(
            session,
            category="app",
            region="Leeds",
            started_at=END,
            ended_at=END,
            observed=6,
            expected=0.0,
            score=9.0,
        ).id
    found = explain.explain(db, spike_id)
    assert found is not None
    assert "where 0 are usual" in found.sentence
    assert {"app crashed", "depot"} & {t.text for t in found.terms}, found.terms
    assert "payslip" not in {w for t in found.terms for w in t.text.split()}
