"""Synthetic PII sentences: Faker's addresses and phone numbers in posts, marked, and scored.

The blind sets PII tools are usually judged on are sentences filled in from templates with a fake
data generator. This script writes such a set of its own: templates written for Earful (a driver's
or a customer's post, in English and some in Spanish) filled with Faker's addresses and phone
numbers from twelve locales, and with names and emails, each marked inline as {KIND:text} (the
format of tests/data/pii/). The templates also carry look-alikes that must stay: dates, times,
prices, order numbers, years, ratings, versions, companies, towns and streets named as places.

A seed gives the same set each time (with the pinned Faker version). Seed 1 is the one the rules
were tuned on; report on another. Examples:

    python bench/pii_synthetic.py --seed 1 --count 1500 --show
    python bench/pii_synthetic.py --seed 99 --count 1500 --write /tmp/pii-99.txt
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from faker import Faker

from pii_redaction import measure  # the script's folder is on the path when it is run

LOCALES = (
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "en_IE",
    "en_IN",
    "de_DE",
    "fr_FR",
    "nl_NL",
    "es_ES",
    "es_MX",
    "es_CO",
)
# How often each locale's data is drawn: mostly the English-speaking ones, as in the sets tools meet.
WEIGHTS = (6, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1)
SPANISH = ("es_ES", "es_MX", "es_CO")

# Templates: {ADDRESS} and {PHONE} are marked, and so are {NAME} and {EMAIL}; the rest are look-alikes
# that stay unmarked: {CITY} {STREETNAME} {COMPANY} {FIRM} {COUNTRY} {DATE} {DATETIME} {TIME} {PRICE}
# {ORDER} {YEAR} {VERSION} {RATING} {COUNT} {IP} {ISBN} {PLATE} {URL} {JOB}.
ENGLISH = [
    "My address is {ADDRESS}",
    "I live at {ADDRESS} so please send the replacement there",
    "Please deliver to {ADDRESS}, the gate code changed",
    "driver left my parcel at {ADDRESS} instead of my house, order {ORDER}",
    "Ship it to {ADDRESS} before {DATE}",
    "new address for my account: {ADDRESS}",
    "The package was supposed to go to {ADDRESS} but tracking says {CITY}",
    "{NAME} here, I moved to {ADDRESS} last week, can you update it?",
    "Send the invoice for {PRICE} to {ADDRESS} thanks",
    "pickup from {ADDRESS} at {TIME} tomorrow please",
    "my billing address is {ADDRESS} and my phone is {PHONE}",
    "Contact {NAME} at {PHONE} or {EMAIL}, address {ADDRESS}",
    "call me on {PHONE} when you get to {ADDRESS}",
    "Hi, I'm {NAME}, my number is {PHONE}",
    "you can reach me at {PHONE} after {TIME}",
    "phone {PHONE}",
    "My phone number is {PHONE}",
    "text {PHONE} if the buzzer doesn't work",
    "{NAME}'s cell is {PHONE}, she ordered {COUNT} boxes",
    "support called me from {PHONE} about order {ORDER}, is that legit?",
    "Please call {PHONE} to confirm the {DATE} delivery",
    "contact details: {NAME}, {PHONE}, {EMAIL}",
    "rated the driver {RATING} stars, he was polite, app version {VERSION}",
    "the warehouse on {STREETNAME} in {CITY} is a mess since {YEAR}",
    "traffic on {STREETNAME} again, I'll be late by {COUNT} minutes",
    "{COMPANY} charged me {PRICE} twice on {DATE}",
    "order {ORDER} was due at {TIME}, still nothing",
    "We were at {STREETNAME} near the {COMPANY} office around {TIME}",
    "I paid {PRICE} for express and it came on {DATE}",
    "For returns use {ADDRESS}, ask for {NAME}",
    "Return label says {ADDRESS} but that's my old place",
    "{NAME} ({PHONE}) will sign for it at {ADDRESS}",
    "delivery instructions: leave at the back door, {ADDRESS}. Call {PHONE} if nobody answers",
    "is {ADDRESS} in your delivery area? been waiting since {YEAR} lol",
    "hey {NAME} the office moved to {ADDRESS}, phone stays {PHONE}",
    "billing: {ADDRESS}\\nphone: {PHONE}",
    "{NAME}\\n{ADDRESS}\\n{PHONE}",
    "Emergency contact: {NAME}, tel. {PHONE}",
    "fax {PHONE} or email {EMAIL}",
    "my mum lives in {CITY}, she paid {PRICE} for this on {DATE}",
    "the {COMPANY} depot in {CITY} opens at {TIME}, rated {RATING}/5",
    "updated to {VERSION} on {DATE} and the map still sends me down {STREETNAME}",
    "{COUNT} parcels, {COUNT} stops, {PRICE} for the whole block, since {YEAR} it's been like this",
    "someone logged in from {IP} at {TIME}, was that you?",
    "the book (ISBN {ISBN}) arrived with a torn cover",
    "{FIRM} sent me the wrong size and kept the {PRICE}",
    "a van with plate {PLATE} blocked my drive for an hour",
    "I work as a {JOB} at {FIRM} and this app wastes my time",
    "shipping to {COUNTRY} took {COUNT} days, tracking stuck in {CITY}",
    "see {URL} for the returns policy, it says {COUNT} days",
    "order placed {DATETIME}, still processing",
    "{FIRM} moved their warehouse from {CITY} to {CITY} in {YEAR}",
    "we drove {COUNT} miles down {STREETNAME} to reach the {FIRM} office",
    "Building {COUNT} of the {FIRM} campus is closed until {DATE}",
    "Top {COUNT} things I hate about {COMPANY}: the {VERSION} update, {FIRM}, and {STREETNAME}",
    "paid {PRICE} at the {COMPANY} on {STREETNAME}, receipt {ORDER}",
]
SPANISH_TEMPLATES = [
    "Mi dirección es {ADDRESS}",
    "vivo en {ADDRESS}, el repartidor no encuentra la casa",
    "envíenlo a {ADDRESS} antes del {DATE}",
    "dejaron mi paquete en {ADDRESS} y no es mi casa, pedido {ORDER}",
    "mi teléfono es {PHONE}",
    "llámame al {PHONE} cuando llegues a {ADDRESS}",
    "soy {NAME}, mi número es {PHONE}",
    "contacto: {NAME}, {PHONE}, {EMAIL}",
    "la factura de {PRICE} va a {ADDRESS}",
    "el almacén de {COMPANY} en {CITY} abre a las {TIME}",
    "pagué {PRICE} el {DATE} y el pedido {ORDER} no llega",
    "dirección de entrega: {ADDRESS}\\ntel: {PHONE}",
    "escríbeme por whatsapp al {PHONE}",
    "hay tráfico en {STREETNAME} otra vez, llego {COUNT} minutos tarde",
    "{NAME} recoge en {ADDRESS} a las {TIME}",
    "la empresa {FIRM} me cobró {PRICE} el {DATE}",
    "el envío a {COUNTRY} tardó {COUNT} días y sigue en {CITY}",
    "valoración {RATING}, versión {VERSION}, pedido {ORDER}",
    "trabajo de {JOB} en {FIRM} desde {YEAR}",
]

ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SPANISH_DIGITS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")
_SLOT = re.compile(r"\{([A-Z]+)\}")


class Maker:
    """Fill templates with one seed's Faker data, marking what is personal."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = {}
        for i, locale in enumerate(LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 100 + i)
            self.fakers[locale] = fake
        self.english = Faker("en_US")
        self.english.seed_instance(seed * 100 + 99)

    def address(self, fake: Faker) -> str:
        pick = self.rng.random()
        if pick < 0.45:
            text = fake.address()
        elif pick < 0.6:
            text = fake.street_address()
        elif pick < 0.75:
            text = f"{fake.street_address()}, {fake.city()}"
        elif pick < 0.9:
            text = ", ".join(part.strip() for part in fake.address().split("\n"))
        else:
            text = f"{fake.street_address()}, {fake.city()} {fake.postcode()}"
        return text.strip().replace("\n", "\\n")

    def phone(self, fake: Faker, spanish: bool) -> str:
        pick = self.rng.random()
        if pick < 0.7:
            return fake.phone_number()
        if pick < 0.8:
            return f"555-01{self.rng.randint(0, 99):02d}"
        if pick < 0.9:
            number = fake.phone_number().split("x")[0]
            ext = self.rng.choice(["x", " ext. ", " ext ", " extension ", " x"])
            return f"{number}{ext}{self.rng.randint(1, 9999)}"
        digits = f"55501{self.rng.randint(0, 99):02d}"
        words = SPANISH_DIGITS if spanish else ENGLISH_DIGITS
        spoken = [words[int(d)] for d in digits]
        if not spanish and self.rng.random() < 0.5:
            spoken = ["oh" if w == "zero" else w for w in spoken]
        return " ".join(spoken)

    def lookalike(self, slot: str, fake: Faker) -> str:
        rng = self.rng
        fills: dict[str, Callable[[], str]] = {
            "CITY": fake.city,
            # A street named as a place has no number (Colombian street names are numbers: use the English).
            "STREETNAME": lambda: next(
                n for n in iter(fake.street_name, None) if not any(c.isdigit() for c in n)
            ),
            "COMPANY": lambda: rng.choice(["Amazon", "DoorDash", "Uber Eats", "Walmart", "Kestrel", "Rappi"]),
            "DATE": lambda: rng.choice(
                [
                    self.english.date(pattern="%d/%m/%Y"),
                    self.english.date(pattern="%Y-%m-%d"),
                    self.english.date(pattern="%B %d"),
                    self.english.date(pattern="%m.%d.%Y"),
                ]
            ),
            "TIME": lambda: rng.choice([self.english.time(pattern="%H:%M"), f"{rng.randint(1, 12)}pm"]),
            "PRICE": lambda: rng.choice(
                [
                    f"${rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
                    f"€{rng.randint(1, 9999)}",
                    f"{rng.randint(1, 9)}.{rng.randint(100, 999)}.000 pesos",
                ]
            ),
            "ORDER": lambda: rng.choice(
                [
                    f"#{rng.randint(100000, 99999999)}",
                    "-".join(str(rng.randint(10 ** (n - 1), 10**n - 1)) for n in (3, 7, 7)),
                    f"KF-{rng.randint(2020, 2026)}-{rng.randint(100000, 999999)}",
                ]
            ),
            "YEAR": lambda: str(rng.randint(1995, 2026)),
            "VERSION": lambda: f"v{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "RATING": lambda: rng.choice(["4.5", "5", "3.8", "1"]),
            "COUNT": lambda: str(rng.randint(2, 240)),
            "FIRM": fake.company,
            "JOB": fake.job,
            "COUNTRY": fake.country,
            "IP": self.english.ipv4,
            "ISBN": self.english.isbn13,
            "PLATE": fake.license_plate,
            "URL": self.english.url,
            "DATETIME": lambda: self.english.date_time().isoformat(" ", timespec="seconds"),
        }
        return fills[slot]()

    def sentence(self) -> tuple[bool, str]:
        locale = self.rng.choices(LOCALES, weights=WEIGHTS)[0]
        fake = self.fakers[locale]
        spanish = locale in SPANISH and self.rng.random() < 0.5
        template = self.rng.choice(SPANISH_TEMPLATES if spanish else ENGLISH)

        def fill(m: re.Match[str]) -> str:
            slot = m.group(1)
            if slot == "ADDRESS":
                return "{ADDRESS:" + self.address(fake) + "}"
            if slot == "PHONE":
                return "{PHONE:" + self.phone(fake, spanish) + "}"
            if slot == "NAME":
                return "{NAME:" + fake.name() + "}"
            if slot == "EMAIL":
                return "{EMAIL:" + fake.email() + "}"
            return self.lookalike(slot, fake)

        return spanish, _SLOT.sub(fill, template)


def generate(seed: int, count: int) -> str:
    """Return a marked set of `count` sentences, English first and then Spanish."""
    maker = Maker(seed)
    english: list[str] = []
    spanish: list[str] = []
    for _ in range(count):
        is_spanish, line = maker.sentence()
        (spanish if is_spanish else english).append(line)
    head = [
        f"# Synthetic PII sentences, seed {seed}, written by bench/pii_synthetic.py from Faker's data.",
        "# English",
    ]
    return "\n".join([*head, *english, "# Spanish", *spanish]) + "\n"


def main() -> None:
    """Write a synthetic set (or a temporary one) and print the redactor's figures on it."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--write", type=Path, help="keep the set in this file")
    parser.add_argument("--show", action="store_true", help="print each miss and false alarm")
    parser.add_argument("--no-score", action="store_true", help="only write the set")
    args = parser.parse_args()
    text = generate(args.seed, args.count)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        path = args.write
    else:
        with tempfile.NamedTemporaryFile(
            "w", suffix=f"-seed{args.seed}.txt", delete=False, encoding="utf-8"
        ) as out:
            out.write(text)
        path = Path(out.name)
    if not args.no_score:
        measure(path, args.show)
    if not args.write:
        path.unlink()


if __name__ == "__main__":
    main()
