"""Normalization helpers: the phone fast path agrees with phonenumbers, names and countries."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from tasks import normalize as nz

REGIONS = ["US", "DE", "GB", "FR", "IT", "IN", "BR", "AR", "AU", "MX", "CA", "JP"]


@settings(max_examples=3000, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    plus=st.booleans(),
    digits=st.text(alphabet="0123456789", min_size=1, max_size=16),
    style=st.sampled_from(["plain", "spaced", "dotted", "paren"]),
)
def test_phone_fast_path_agrees_with_phonenumbers(region, plus, digits, style):
    raw = ("+" if plus else "") + digits
    if style == "spaced":
        raw = " ".join([raw[:4], raw[4:8], raw[8:]]).strip()
    elif style == "dotted":
        raw = ".".join(p for p in [raw[:3], raw[3:6], raw[6:]] if p)
    elif style == "paren" and len(digits) > 3 and not plus:
        raw = f"({digits[:3]}) {digits[3:]}"
    assert nz.parse_phone(nz.phone_key(raw), region) == nz.parse_phone_reference(raw, region)


def test_known_numbers():
    assert nz.parse_phone(nz.phone_key("(415) 555-2671"), "US") == ("+14155552671", "US", "fixed_line_or_mobile")
    assert nz.parse_phone(nz.phone_key("0151 23456789"), "DE") == ("+4915123456789", "DE", "mobile")
    assert nz.parse_phone(nz.phone_key("+44 20 7946 0958"), "US") == ("+442079460958", "GB", "fixed_line")
    assert nz.parse_phone(nz.phone_key("12345"), "US") == (None, None, None)
    assert nz.parse_phone(nz.phone_key("call me"), "US") == (None, None, None)


def test_phone_frame_maps_back_in_order():
    raw = pd.Series(["415.555.2671", None, "bad", "(415) 555-2671"], dtype=object)
    out = nz.phone_frame(raw, "US")
    assert out["phone"].tolist()[0] == "+14155552671" and out["phone"].tolist()[3] == "+14155552671"
    assert pd.isna(out["phone"].tolist()[1]) and pd.isna(out["phone"].tolist()[2])


def test_names_and_countries():
    assert nz.name_key("José-Luis  Núñez") == "jose luis nunez"
    assert nz.display_name("  mARY   o'NEIL ") == "mARY o'NEIL"
    assert nz.display_name("JOHN SMITH") == "John Smith"
    assert nz.split_full_name("Müller, Jürgen") == ("Jürgen", "Müller")
    assert nz.split_full_name("Ana Maria da Silva") == ("Ana", "Maria da Silva")


@pytest.mark.parametrize("full, parts", [
    ("Dr. Ana Maria da Silva", ("Ana", "Maria da Silva")),  # titles and suffixes are no name
    ("Prof. Dr. Hans Müller", ("Hans", "Müller")),
    ("John Smith Jr.", ("John", "Smith")),
    ("Smith, John, Jr.", ("John", "Smith")),
    ("Jane Doe, MBA", ("Jane", "Doe")),
    ("John Smith M.D.", ("John", "Smith")),
    ('Bob "Bobby" Jones', ("Bob", "Jones")),
    ("Tran Van Am", ("Tran", "Van Am")),  # spelt like a suffix (AM), but a name by form
    ("Prince Nelson", ("Prince", "Nelson")),  # a title word that is the first name
    ("Hon Chan", ("Hon", "Chan")),
    ("Dr. Smith", (None, "Smith")),  # a title before one name: a surname
    ("Prof. Dr. Weber, PhD", (None, "Weber")),
    ("Herr Müller", (None, "Müller")),
    ("Judge Judy", ("Judge", "Judy")),  # a title word that may be a first name: kept as given
    ("Sir Elton", ("Sir", "Elton")),
    ("Dr.", (None, None)),  # a form of address alone is no name
])
def test_a_full_name_is_split_without_titles_and_suffixes(full, parts):
    assert nz.split_full_name(full) == parts


_NAME_WORDS = ["Dr.", "Mr", "Mrs.", "Prof.", "Herr", "Sir", "Prince", "King", "Jr.", "Sr.", "III", "PhD", "MBA", "Am",
               "Smith", "Anna", "van", "de", "Müller", "O'Neil", ",", "-", '"Jo"', "(Bob)"]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(_NAME_WORDS), min_size=1, max_size=6).map(" ".join), st.text(min_size=1, max_size=30)))
def test_any_full_name_splits_into_nonempty_parts_of_its_stripped_form(raw):
    full = nz.display_name(raw)
    if not full:
        return
    bare, first, last = nz.name_parts(full)
    assert nz.without_affixes(full) == bare
    for part in (first, last):
        assert part is None or (part and part == part.strip())
    assert all(p is None or p in bare for p in (first, last))


@pytest.mark.parametrize("field, bare", [
    ("Dr. Anna", "Anna"), ("Koch II", "Koch"), ("Smith, PhD", "Smith"), ("Sr. Maria", "Maria"),
    ("Van Am", "Van Am"), ("King", "King"), ("Prince", "Prince"), ("Hans Georg", "Hans Georg"), ("Dr.", ""),
])
def test_a_name_field_is_keyed_without_titles_and_suffixes(field, bare):
    assert nz.without_affixes(field, whole=False) == bare
    assert [nz.country_code(c) for c in ["Deutschland", "usa", "United Kingdom", "de", "Narnia"]] == ["DE", "US", "GB", "DE", "NARNIA"]
    # names in common use that ISO spells otherwise, and names in the languages of the feeds
    common = ["Turkey", "The Netherlands", "UAE", "Korea", "Ivory Coast", "Republic of Ireland", "Czech Republic",
              "Polen", "Frankreich", "Tschechien", "Italia", "Polska", "Brasil", "México", "Niger", "Nigeria"]
    assert [nz.country_code(c) for c in common] == ["TR", "NL", "AE", "KR", "CI", "IE", "CZ",
                                                     "PL", "FR", "CZ", "IT", "PL", "BR", "MX", "NE", "NG"]


def test_a_display_name_keeps_no_invisible_character_a_spreadsheet_or_form_left_in_it():
    """A zero-width space, word joiner or byte-order mark around or inside a name was kept in its
    display form (the golden record, a greeting): keyed alike, shown differently."""
    assert nz.display_name("\u200bAnn\u00a0") == "Ann"
    assert nz.display_name("\ufeffLee\u2060 Smith\u200b") == "Lee Smith"
    assert nz.display_name("\u200b") == ""
    assert nz.display_name("Mehr\u200cdad") == "Mehr\u200cdad"   # a zero-width non-joiner is spelling (Persian)


def test_known_internationalised_domains_are_their_idna_a_labels():
    # staging keeps an address at an internationalised domain in the form mail servers use (tasks/staging.py)
    for domain in ("müller.de", "münchen.de", "bücher.example", "παράδειγμα.gr", "例え.jp", "пример.рф"):
        assert nz.email_idna(f"a@{domain}") == "a@" + domain.encode("idna").decode()
    assert nz.email_idna("a@MÜLLER.DE") == nz.email_idna("a@müller.de") == "a@xn--mller-kva.de"
    assert nz.email_idna("a@straße.de") == "a@xn--strae-oqa.de"   # IDNA 2008: ß is a letter of its own, not ss
    # an ASCII address, a non-ASCII local part, no @, or a domain IDNA refuses stay as given (email_syntax)
    for value in ("a@xn--mller-kva.de", "zoë@example.com", "müller.de", "a@mü ller.de", "a@-müller.de"):
        assert nz.email_idna(value) == value
