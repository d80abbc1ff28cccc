"""The clean stage on five real scraped copies of one news story, each with its own defects.

The files live in the shared data folder (see its SOURCE.md) and are read from there, never
copied into the project: the texts belong to their publishers.
"""

from __future__ import annotations

import os
import re
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from earful.pipeline.clean import CleanStage, clean_text
from earful.pipeline.stage import WorkItem

ARTICLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "news-articles"
TITLES = {
    4: "Amazon spying on workers’ private Facebook groups: report",
    5: "Motherboard Found a Secret Program Where Amazon Has Been Spying on its Workers",
}


def raw_article(number: int) -> str:
    path = ARTICLES / f"article-{number}.txt"
    if not path.is_file():
        reason = f"shared news articles not found at {ARTICLES}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must provide the shared data folder")
        pytest.skip(reason)
    return path.read_text(encoding="utf-8")


def cleaned(number: int) -> str:
    item = WorkItem(text=raw_article(number), title=TITLES.get(number))
    text: str = CleanStage().run(item)["text"]
    return text


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_every_article_comes_out_tidy_and_stable(number: int) -> None:
    text = cleaned(number)
    assert "\n\n\n" not in text
    assert "  " not in text
    assert "\u00a0" not in text
    assert all(line == line.strip() for line in text.splitlines())
    assert text == text.strip()
    assert len(text) > 1500
    # Cleaning is a re-runnable stage: a second pass finds nothing more to remove.
    assert CleanStage().run(WorkItem(text=text, title=TITLES.get(number)))["text"] == text


def test_article_1_loses_its_spaced_out_html_debris() -> None:
    text = cleaned(1)
    for debris in ["< p >", "< / P >", "& quot;", "&Quot;", "&ා", "&Many", "ා"]:
        assert debris not in text
    assert "<" not in text and ">" not in text and "&" not in text
    assert text.count("\n\n") >= 15  # the paragraph tags became paragraph breaks
    assert 'a file called "social media monitoring", which lists' in text
    assert "Forty three of these Facebook groups are run by drivers from different cities" in text
    assert "Many people think that since the holiday, the number of blocks has decreased" in text
    assert "“Amazon flex drivers say we are treated like animals,”" in text
    assert 'The tool has an "owner" page that explains who works on the team' in text
    assert "it is wrong and has been corrected later.”" in text


def test_article_2_is_kept_once_though_it_was_scraped_twice() -> None:
    raw = raw_article(2)
    text = cleaned(2)
    assert text.count("Motherboard reports.") == 1
    assert text.count("It later removed them.") == 1
    assert text.endswith("It later removed them.")
    assert len(text) < len(raw) / 2
    first_copy = raw[: raw.index("Amazon Flex driver in Massachusetts", 10)]
    assert text == clean_text(first_copy)
    # The photo caption glued to the first sentence goes with its credit.
    assert text.startswith("Amazon has deployed a sophisticated system to monitor the online chatter")
    assert "Getty Images" not in text
    assert "In California, for example, a new state law demands that Lyft and Uber classify" in text


def test_article_3_loses_site_navigation_and_blank_line_runs() -> None:
    text = cleaned(3)
    lines = text.splitlines()
    for menu in ["Education", "Follow Us", "Scroll to Top"]:
        assert menu not in lines
    assert "Follow Us" not in text and "Scroll to Top" not in text
    assert lines[0] == "Amazon is allegedly surveilling the Flex delivery drivers in private Facebook groups"
    assert "Amazon says they make between $18 and $25 an hour" in text
    assert "hanging their phones in trees near dispatch centers" in text
    assert text.endswith(
        "We reached out to Amazon to comment on the story and will update this article if we hear more."
    )
    assert all(a or b for a, b in pairwise(lines))  # never two blank lines running


def test_article_4_loses_bullet_glyphs_photo_block_and_reporter_contact() -> None:
    text = cleaned(4)
    assert "•" not in text
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(bullets) == 5
    assert bullets[0].startswith(
        "- Amazon is closely monitoring dozens of private and public social media groups"
    )
    for debris in [
        "amazon jfk8 staten island warehouse protest strike",  # photo alt text
        "Amazon employees hold a protest and walkout",  # photo caption
        "Spencer Platt/Getty Images",  # photo credit
        "Contact this reporter",
        "503-319-3213",
        "@TylerSonnemaker",
        "Source Article",
        "Visit Business Insider",
    ]:
        assert debris not in text
    assert not text.startswith("Amazon spying on workers")  # the headline is the title, not body text
    assert "Amazon workers have become more vocal about dangerous conditions during the pandemic" in text
    assert "Amazon has fired at least five workers who have publicly spoken out against the company" in text
    assert text.endswith("against labor groups who protest the company.")


def test_article_5_loses_headline_echo_stamp_and_sign_off() -> None:
    out = CleanStage().run(WorkItem(text=raw_article(5), title=TITLES[5]))
    text = out["text"]
    assert out["title"] == TITLES[5]
    assert "Last Updated on" not in text
    assert TITLES[5] not in text
    assert "Go and read the full investigation here" not in text
    assert text.startswith("The companies main focus seems to be on labor organizing threats")
    assert "Vice’s technology publication, Motherboard, has found a secret program" in text
    assert "Speaking to Motherboard, an Amazon spokesperson said:" in text
    assert text.endswith("the documents and reports they had been able to access were taken offline.")
    assert any(note.startswith("last-updated stamps") for note in out["removed"])


def test_removal_notes_name_kinds_never_the_removed_words() -> None:
    out = CleanStage().run(WorkItem(text=raw_article(4), title=TITLES[4]))
    notes = " ".join(out["removed"])
    assert re.search(r"reporter contact lines \(1\)", notes)
    assert re.search(r"photo credits \(1\)", notes)
    assert "Tyler" not in notes and "503" not in notes


def test_missing_articles_skip_locally_but_fail_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ARTICLES", tmp_path / "absent")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not found"):
        raw_article(1)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide"):
        raw_article(1)
