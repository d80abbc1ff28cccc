"""The redact stage: typed placeholders for personal data, and look-alikes left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from earful.pipeline.redact import RedactStage, clabe_ok, default_redactor, iban_ok, luhn_ok, parse_marked
from earful.pipeline.stage import WorkItem

SET = Path(__file__).resolve().parents[1] / "data" / "pii" / "sentences.txt"
REDACTOR = default_redactor(["KestrelSupport"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email Jo.Baker+x@mail.example.co.uk now", "email [EMAIL] now"),
        ("call +44 7700 900123 or (555) 010-4477", "call [PHONE] or [PHONE]"),
        ("card 4111-1111-1111-1111 declined", "card [CARD] declined"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [ACCOUNT] please"),
        ("mi CLABE 032180000118359719 es nueva", "mi CLABE [ACCOUNT] es nueva"),
        ("DNI 12345678Z y NIE X1234567L", "DNI [ID] y NIE [ID]"),
        ("drop at 14 Kirkstall Road, Leeds LS4 2AZ today", "drop at [ADDRESS] today"),
        ("vivo en Calle Gran Vía 28, 4ºD, 28013 Madrid, gracias", "vivo en [ADDRESS], gracias"),
        ("@KestrelSupport ask @jo_b123 and u/driver_mike", "@KestrelSupport ask [HANDLE] and [HANDLE]"),
        ("my manager Sarah Whitfield shouted", "my manager [NAME] shouted"),
        ("el supervisor Ramírez me gritó", "el supervisor [NAME] me gritó"),
        ("send it to PO Box 4412, Tulsa, OK 74159 please", "send it to [ADDRESS] please"),
        ("near 217 W 71st St Apt 5R, New York, NY 10023?", "near [ADDRESS]?"),
        (
            "entregué en Calle Durango 145 depto 302, Col. Roma Nte., C.P. 06700, CDMX y nada",
            "entregué en [ADDRESS] y nada",
        ),
        ("mi dni es 51027364 r y está bien", "mi dni es [ID] y está bien"),
        ("mi clave de elector es SLVLED01060914H300", "mi clave de elector es [ID]"),
        ("call me on 555-0148 thats the landline", "call me on [PHONE] thats the landline"),
        ("asked Bill in dispatch, he said ask Grace", "asked [NAME] in dispatch, he said ask [NAME]"),
        ("Will is back at the station", "[NAME] is back at the station"),
        ("got paired with Oksana for training", "got paired with [NAME] for training"),
    ],
)
def test_personal_data_becomes_a_typed_placeholder(text: str, expected: str) -> None:
    assert REDACTOR.redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "waited 45 minutes on 25/11/2026 at 10:45, order #4471, paid $12.50",
        "1.250.000 pesos, app v2.14.3, tracking TBA123456789000, ref KF-2026-118734",
        "traffic on Oxford Street again, atasco en la Castellana",
        "the Mercedes van broke down on the Santa Ana freeway near San Juan station",
        "Will someone at Amazon or DHL in Leeds look at this?",
        "anyone in Jackson or Charlotte seeing blocks drop? thanks Amazon",
        "la furgo blanca tiene las ruedas lisas, el paquete venía de Rosario",
        "4 hr Block at 10am, grace period over, will check the bill",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert REDACTOR.redact(text).text == text


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")
    assert clabe_ok("032180000118359719") and not clabe_ok("032180000118359718")


def test_the_stage_redacts_text_and_title_and_counts_without_keeping_originals() -> None:
    item = WorkItem(text="mail jo@example.com or jo2@example.com", title="From Dr Smith")
    out = RedactStage(REDACTOR).run(item)
    assert out == {
        "text": "mail [EMAIL] or [EMAIL]",
        "title": "From Dr [NAME]",
        "redactions": {"EMAIL": 2, "NAME": 1},
    }


def test_marked_sentences_parse_into_text_and_spans() -> None:
    text, spans = parse_marked("Call {PHONE:0161 496 0750} and ask for {NAME:Pete}")
    assert text == "Call 0161 496 0750 and ask for Pete"
    assert [text[s:e] for s, e, _ in spans] == ["0161 496 0750", "Pete"]
    with pytest.raises(ValueError, match="unbalanced"):
        parse_marked("broken {PHONE:123")


def test_the_pii_set_has_two_hundred_sentences_in_both_languages() -> None:
    lines = [
        ln for ln in SET.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
    ]
    parsed = [parse_marked(line) for line in lines]
    assert len(parsed) >= 200
    kinds = {kind for _, spans in parsed for _, _, kind in spans}
    assert kinds == {"EMAIL", "PHONE", "CARD", "ACCOUNT", "ID", "ADDRESS", "HANDLE", "NAME"}
    assert "# Spanish" in SET.read_text(encoding="utf-8")
