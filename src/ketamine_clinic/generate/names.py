"""Synthetic names: surnames built from syllables no family is called, so that no
generated record can be taken for a real person's (and a de-identification test that
looks for them in an export finds only what the generator made)."""

from __future__ import annotations

import random
from typing import Final

FEMALE_FIRST: Final = (
    "Ada", "Bea", "Cora", "Dana", "Edie", "Faye", "Gwen", "Hana", "Iris", "Joy", "Kira",
    "Lena", "Mara", "Nell", "Opal", "Pia", "Rhea", "Sade", "Tova", "Uma", "Vera", "Wren",
    "Yara", "Zoe", "Alma", "Bryn", "Cleo", "Dove", "Elsa", "Fern",
)  # fmt: skip
MALE_FIRST: Final = (
    "Abe", "Bram", "Cal", "Dev", "Eli", "Finn", "Gus", "Hal", "Ivo", "Jude", "Kit", "Lev",
    "Milo", "Ned", "Otto", "Pax", "Rex", "Sol", "Tad", "Ugo", "Vic", "Wes", "Xan", "Yuri",
    "Zeb", "Arlo", "Bo", "Cyd", "Dex", "Emil",
)  # fmt: skip
NEUTRAL_FIRST: Final = ("Ash", "Blair", "Drew", "Eden", "Jules", "Kai", "Quinn", "Remy", "Sky")
SURNAME_START: Final = (
    "Sample", "Mock", "Fake", "Demo", "Proxy", "Dummy", "Fictiv", "Placeh", "Synth", "Pseudo",
    "Imagin", "Pretend", "Testa", "Madeup", "Notreal", "Facsim",
)  # fmt: skip
SURNAME_END: Final = (
    "ton", "ford", "well", "by", "son", "man", "field", "worth", "ley", "wick", "more",
    "stead", "ridge", "dale",
)  # fmt: skip
RELATIONSHIPS: Final = ("Partner", "Spouse", "Parent", "Sibling", "Friend", "Adult child")


def first_name(rng: random.Random, sex: str) -> str:
    if sex == "female":
        return rng.choice(FEMALE_FIRST)
    if sex == "male":
        return rng.choice(MALE_FIRST)
    return rng.choice(NEUTRAL_FIRST)


def surname(rng: random.Random) -> str:
    return rng.choice(SURNAME_START) + rng.choice(SURNAME_END)


def phone(rng: random.Random) -> str:
    """555-01xx: the exchange reserved for fiction."""
    return f"555-01{rng.randrange(100):02d}"
