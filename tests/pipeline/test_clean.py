"""The clean stage on short social posts, hostile markup included."""

from __future__ import annotations

import pytest

from earful.pipeline.clean import CleanStage, clean_text
from earful.pipeline.stage import WorkItem


def test_script_and_style_contents_are_dropped_with_their_tags() -> None:
    assert clean_text("<script>alert(1)</script>App is down again") == "App is down again"
    assert clean_text("<SCRIPT type='text/javascript'>steal()</SCRIPT>Pay is late") == "Pay is late"
    assert clean_text("<style>p { color: red }</style><div>Route cancelled</div>") == "Route cancelled"


def test_entity_encoded_script_is_dropped_too() -> None:
    assert clean_text("&lt;script&gt;alert(1)&lt;/script&gt;No blocks today") == "No blocks today"


@pytest.mark.parametrize(
    "post",
    [
        "Look <img src=x onerror=alert(1)> at this",
        'Look <img src="a.png" onerror="alert(\'>\')"> at this',
        "Look <IMG SRC=x ONERROR=alert(1) /> at this",
    ],
)
def test_image_tags_and_their_handlers_are_removed(post: str) -> None:
    assert clean_text(post) == "Look at this"


@pytest.mark.parametrize(
    "post",
    [
        "5 < 6 and 7 > 3",
        "I <3 this app",
        "a < b and c > d",
        "x<b and c>d",
        "Tips went from $5 -> $2 <- seriously",
        "Hi <username>, your block starts at 9",
        "AT&T coverage drops in the warehouse",
    ],
)
def test_text_that_only_looks_like_markup_survives(post: str) -> None:
    assert clean_text(post) == post


def test_line_and_paragraph_tags_become_breaks() -> None:
    assert clean_text("line one<br>line two<BR/>line three") == "line one\nline two\nline three"
    assert clean_text("<p>First.</p><p>Second.</p>") == "First.\n\nSecond."
    assert clean_text("< p >First.< / P >< p >Second.< / P >") == "First.\n\nSecond."
    assert clean_text("<ul><li>one</li><li>two</li></ul>") == "- one\n- two"


def test_entities_decode_even_when_damaged() -> None:
    assert clean_text("Tom &amp; Jerry &lt;3") == "Tom & Jerry <3"
    assert clean_text("he said & quot;wait& quot; & amp; left") == 'he said "wait" & left'
    assert clean_text("&Quot;upgraded&Quot; to leadership") == '"upgraded" to leadership'
    assert clean_text("said. &Many people think") == "said. Many people think"
    assert clean_text("entitled “&ා Amazon flex drivers”") == "entitled “Amazon flex drivers”"
    assert clean_text("&unknown; stays") == "&unknown; stays"


def test_mojibake_is_repaired() -> None:
    assert clean_text("The app doesnâ€™t load") == "The app doesn’t load"
    assert clean_text("Llegué al almacÃ©n") == "Llegué al almacén"
    assert clean_text("la aplicación está caída") == "la aplicación está caída"


def test_whitespace_is_collapsed() -> None:
    post = "  too   many\tspaces \n\n\n\n\u00a0\n next\u200bline  "
    assert clean_text(post) == "too many spaces\n\nnextline"


def test_bullet_glyphs_are_normalised() -> None:
    assert clean_text("Issues:\n  • app\n  ▪ gps\n● pay") == "Issues:\n- app\n- gps\n- pay"


def test_a_text_repeated_in_full_is_kept_once() -> None:
    once = "Delivery app keeps crashing at the last stop."
    assert clean_text(f"{once} {once}") == once
    assert clean_text(f"{once}\n\n  Delivery  app keeps\ncrashing at the last stop.") == once


@pytest.mark.parametrize("post", ["so so", "lol lol", "no no no no", "ha" * 30, "Pay cut. Pay cut again."])
def test_short_or_partial_repetition_is_not_collapsed(post: str) -> None:
    assert clean_text(post) == post


def test_navigation_lines_at_the_edges_go_but_short_lines_inside_a_post_stay() -> None:
    post = "\n".join(
        [
            "Follow Us",
            "Share this article",
            "App crashed again.",
            "Education",
            "Still waiting",
            "Read more",
            "Scroll to Top",
        ]
    )
    assert clean_text(post) == "App crashed again.\nEducation\nStill waiting"


@pytest.mark.parametrize("post", ["App crashed again.", "Follow us", "Read more", "Education"])
def test_a_post_is_never_cleaned_to_nothing(post: str) -> None:
    assert clean_text(post) == post


def test_boilerplate_lines_go_wherever_they_stand() -> None:
    post = (
        "We use cookies to improve your experience. Accept all\n"
        "Last Updated on 12 March 2024\n"
        "Drivers say the new routes add an hour.\n"
        "Contact the reporter at jane.doe@news.example\n"
        "Nobody at the station would comment."
    )
    assert clean_text(post) == "Drivers say the new routes add an hour.\nNobody at the station would comment."


@pytest.mark.parametrize(
    "post",
    [
        "Updated the app, now it crashes.\nPosted on Facebook and nobody answered.",
        "Pay is down again.\nCan someone contact the reporter who wrote this?",
        "Pay is down again.\nI read it on reuters",
    ],
)
def test_sentences_that_merely_resemble_boilerplate_stay(post: str) -> None:
    assert clean_text(post) == post


def test_retweet_prefix_is_kept() -> None:
    assert clean_text("RT @flexdriver: no blocks again") == "RT @flexdriver: no blocks again"


def test_stage_outputs_clean_text_title_and_notes() -> None:
    item = WorkItem(
        text="<p>Block rates are down&nbsp;again</p><br>anyone else?", title=" Rates &amp; <b>blocks</b> "
    )
    out = CleanStage().run(item)
    assert out == {
        "text": "Block rates are down again\n\nanyone else?",
        "title": "Rates & blocks",
        "removed": ["html entities (2)", "html tags (5)"],
    }
    assert item.text.startswith("<p>")  # the stage reports; the chain decides what to overwrite


def test_missing_or_empty_title_is_none() -> None:
    assert CleanStage().run(WorkItem(text="hi"))["title"] is None
    assert CleanStage().run(WorkItem(text="hi", title="<b> </b>"))["title"] is None


@pytest.mark.parametrize(
    "post",
    [
        "RT @flexdriver: App crashed AGAIN &amp; support says wait 24h 😡 https://t.co/x",
        "<p>Block rates are down</p><p>anyone else?</p>",
        "Follow Us\n\n\nApp crashed again.\n\nScroll to Top",
        "caf\u00c3\u00a9 con leche antes de la ruta",
    ],
)
def test_cleaning_twice_changes_nothing(post: str) -> None:
    assert clean_text(clean_text(post)) == clean_text(post)


def test_a_closing_call_to_read_on_goes_but_a_sentence_about_reading_stays() -> None:
    assert clean_text("Pay is down. Go and read the full story here.") == "Pay is down."
    assert clean_text("Pay is down.\nRead more: Amazon cuts rates") == "Pay is down."
    post = "Pay is down.\nRead more about the rates in the group."
    assert clean_text(post) == post
