"""Normalizes canonical fields into staging columns, vectorized, parsing each distinct value once.

Also used by resolution and connectors: the name keys, phone and email rules live here only.
"""

from __future__ import annotations

import gettext
import multiprocessing
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

import idna
import pandas as pd
import phonenumbers
import pycountry
from nameparser import HumanName
from nameparser.config import CONSTANTS as NAME_PARTS
from unidecode import unidecode

PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.VOIP: "voip",
}
TRUE_WORDS = {"true", "yes", "y", "1", "opt-in", "opted_in", "granted", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "opt-out", "opted_out", "denied", "f"}
# what forms and spreadsheets write for "no value" (compared trimmed and lowercased); not `null`, `nil`
# or `na`, which are also surnames (Null, Nil, Na)
PLACEHOLDERS = {"n/a", "n.a.", "n.a", "#n/a", "not applicable", "not available", "none", "unknown", "undefined",
                "tbd", "-", "--", "---", "?"}
_PARALLEL_PHONES = 50_000  # below this, a process pool costs more than it saves


def distinct_map(series: pd.Series, fn) -> pd.Series:
    """Applies fn once per distinct non-null value and maps the results back."""
    values = series.dropna().unique()
    out = series.map(dict(zip(values, map(fn, values)))).astype(object)
    return out.where(out.notna(), None)


# -- phone -------------------------------------------------------------------------------------

def _simple_prefix(region: str) -> str | None:
    """The region's national prefix when parsing strips nothing but that digit string, else None."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.national_prefix_transform_rule:
        return None
    prefix = meta.national_prefix_for_parsing or meta.national_prefix or ""
    return prefix if prefix.isdigit() or prefix == "" else None


@lru_cache(maxsize=None)
def _direct_rules(region: str) -> tuple[int, str] | None:
    cc = phonenumbers.country_code_for_region(region)
    prefix = _simple_prefix(region)
    return None if not cc or prefix is None else (cc, prefix)


def _direct_number(key: str, region: str) -> phonenumbers.PhoneNumber | None:
    """Builds the number phonenumbers.parse would build, for plain digit keys where that is certain.

    Certain means: no national or international prefix to strip (the key does not start with 0
    or with the region's simple national prefix) and a known country code. Anything else returns
    None and goes through phonenumbers.parse; tests/unit/test_normalize.py checks both agree.
    """
    if key.startswith("+"):
        digits = key[1:]
        if digits.startswith("0"):
            return None
        for size in (1, 2, 3):
            cc = int(digits[:size]) if digits[:size].isdigit() else 0
            regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc)
            if regions:
                rules = _direct_rules(regions[0])
                nsn = digits[size:]
                break
        else:
            return None
    else:
        rules = _direct_rules(region)
        cc, nsn = (rules[0] if rules else 0), key
        if key.startswith(str(cc)):
            return None  # parse may read the region's own country code off the front
    if rules is None or not nsn.isdigit() or nsn[0] == "0" or (rules[1] and nsn.startswith(rules[1])):
        return None
    if not 2 <= len(nsn) <= 17:
        return None
    return phonenumbers.PhoneNumber(country_code=cc, national_number=int(nsn))


def parse_phone(raw: str, region: str) -> tuple[str | None, str | None, str | None]:
    """Returns (E.164, number's country, type) for a valid number, else (None, None, None)."""
    number = _direct_number(raw, region)
    if number is None:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            return None, None, None
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number is False
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None, None, None
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.region_code_for_number(number),
        PHONE_TYPES.get(kind, "other"),
    )


def parse_phone_reference(raw: str, region: str) -> tuple[str | None, str | None, str | None]:
    """phonenumbers' own parse + is_valid_number path: the reference parse_phone must agree with."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, None, None
    if not phonenumbers.is_valid_number(number):
        return None, None, None
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.region_code_for_number(number),
        PHONE_TYPES.get(phonenumbers.number_type(number), "other"),
    )


def _parse_chunk(args: tuple[list[str], str]) -> list[tuple]:
    values, region = args
    return [parse_phone(v, region) for v in values]


_PUNCTUATED = re.compile(r"^\+?[\d\s().\-/]+$")
_NOT_DIGITS = re.compile(r"\D")


def phone_key(raw: str) -> str:
    """Drops the punctuation phonenumbers ignores anyway, so '(415) 555-2671' and '415.555.2671' parse once."""
    if not _PUNCTUATED.match(raw):
        return raw
    return ("+" if raw.lstrip().startswith("+") else "") + _NOT_DIGITS.sub("", raw)


def phone_frame(raw: pd.Series, region: str) -> pd.DataFrame:
    """Parses phones (each distinct value once, on both cores for large batches) into E.164 columns."""
    keys = distinct_map(raw, phone_key)
    values = list(keys.dropna().unique())
    if len(values) >= _PARALLEL_PHONES:
        # spawn, not fork: the parent holds DuckDB's threads and locks.
        chunks = [values[i::2] for i in range(2)]
        with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_parse_chunk, [(c, region) for c in chunks]))
        values = chunks[0] + chunks[1]
        parsed = parts[0] + parts[1]
    else:
        parsed = _parse_chunk((values, region))
    lookup = pd.DataFrame(parsed, columns=["phone", "phone_country", "phone_type"], index=values, dtype=object)
    out = lookup.reindex(keys.to_numpy())
    out.index = raw.index
    return out


@lru_cache(maxsize=None)
def _national_prefix(region: str) -> str | None:
    """The trunk prefix a region's national numbers start with (0, 8, 1); None when it has none, is
    unknown, or parsing rewrites more than the prefix (Jersey read 0000000000 as +44 1534 000000)."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return None if meta is None or meta.national_prefix_transform_rule else (meta.national_prefix or None)


def phone_abroad_frame(raw: pd.Series, countries: pd.Series, region: str) -> pd.DataFrame:
    """Parses national numbers (no +) in their record's own country where that is not `region`, once per
    distinct (number, country) -> (raw, country, phone columns) rows, only the numbers valid there.

    For numbers invalid in the source's region: a UK mobile written 07911 123456 on a US job board,
    whose record says United Kingdom. A number valid in the region is never read again here. Only
    digits written as that country writes them at home, after its national prefix (the 0 of 07911),
    count: read in some country, placeholders like 12345 or 555-CALL are valid numbers (+43 12345,
    +49 555 2255) that unrelated people would share.
    """
    pairs = pd.DataFrame({"raw": raw, "country": countries}, dtype=object).dropna().drop_duplicates()
    pairs["key"] = pairs["raw"].map(phone_key)
    pairs["region"] = pairs["country"].map(country_code)
    pairs["prefix"] = pairs["region"].map(_national_prefix)
    national = pd.Series([isinstance(p, str) and k.isdigit() and k.startswith(p) for k, p in zip(pairs["key"], pairs["prefix"])],
                         index=pairs.index, dtype=bool)
    pairs = pairs[(pairs["region"] != region) & national]
    parts = []
    for code, group in pairs.groupby("region"):
        parsed = phone_frame(group["raw"], code)
        parts.append(pd.concat([group[["raw", "country"]], parsed], axis=1))
    columns = ["raw", "country", "phone", "phone_country", "phone_type"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns, dtype=object)
    return out.loc[out["phone"].notna(), columns].reset_index(drop=True)


# -- email -------------------------------------------------------------------------------------

def email_idna(address: str) -> str:
    """An address at an internationalised domain with that domain in its IDNA form, as mail servers write it
    ('anna@müller.de' -> 'anna@xn--mller-kva.de': IDNA 2008 with the UTS 46 mapping, so case and width fold);
    any other value as given (an ASCII domain, no @, a domain IDNA refuses: staging then quarantines it)."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except UnicodeError:  # idna.IDNAError is one
        return address


# -- names -------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_NOT_LETTERS = re.compile(r"[^a-z ]+")
# zero-width space, word joiner, byte-order mark: invisible, never spelling, and not \s (the
# zero-width (non-)joiners are left alone: Persian and Indic names are spelt with them)
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")


def has_letter(text: str | None) -> bool:
    """Whether the text holds a letter of any script: '@', '0001-01-01', '12345' or '...' is no name."""
    return any(unicodedata.category(c).startswith("L") for c in text or "")


def display_name(value: str) -> str:
    """Unicode-normalizes (NFKC), drops invisible characters, collapses spaces, and title-cases names typed in one case;
    '' for a value without a letter ('@', '0001-01-01', '12345': a form filled with junk, a date in the name column)."""
    text = _SPACES.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))).strip()
    if not has_letter(text):
        return ""
    if text and (text.isupper() or text.islower()):
        text = text.title()
    return text


@lru_cache(maxsize=200_000)
def name_key(value: str | None) -> str | None:
    """Diacritic-free, casefolded letters-and-spaces key: 'José-Luis  Núñez' -> 'jose luis nunez'."""
    if not value:
        return None
    ascii_text = unidecode(unicodedata.normalize("NFKC", value)).casefold().replace("-", " ")
    key = _SPACES.sub(" ", _NOT_LETTERS.sub("", ascii_text)).strip()
    return key or None


# words nameparser knows as titles (Dr., Prof., Herr), suffixes (Jr., III, PhD, MBA) or nickname marks
_AFFIXES = frozenset(NAME_PARTS.titles) | frozenset(NAME_PARTS.suffix_acronyms) | frozenset(NAME_PARTS.suffix_not_acronyms)


# titles that stand before a surname alone ('Dr. Smith', 'Herr Müller'); before one name 'Prince',
# 'Sir' or 'Judge' may stand before a first name or be the name itself, which is then kept
_SURNAME_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "herr", "frau", "mme", "mlle",
                             "sr", "sra", "srta"})


def _strip_affixes(name: str, whole: bool) -> tuple[str, bool]:
    """(the name without affixes, whether what remains of a full name is a surname alone); see without_affixes."""
    words = name.replace(",", " ").split()
    if not ('"' in name or "(" in name or any(w.lower().replace(".", "") in _AFFIXES for w in words)):
        return name, False
    parsed = HumanName(name)
    rest = " ".join(part for part in (parsed.first, parsed.middle, parsed.last) if part)
    addressed = bool(parsed.title_list) and all(t.lower().replace(".", "") in _SURNAME_TITLES for t in parsed.title_list)
    if addressed and not rest:
        return "", False  # a form of address alone ('Dr.') is no name
    surname = bool(whole and addressed and parsed.last and not parsed.first and not parsed.middle)
    if not rest or (whole and not (parsed.first and parsed.last) and not surname):
        return name, False
    for suffix in parsed.suffix_list:
        plain = suffix.lower().replace(".", "")
        if plain not in NAME_PARTS.suffix_not_acronyms and suffix == suffix.capitalize() and "." not in suffix:
            return name, False
    return rest, surname


def without_affixes(name: str, whole: bool = True) -> str:
    """A name without titles, suffixes and a quoted nickname: 'Dr. John "Jack" Smith, PhD' -> 'John Smith'.

    `whole`: a full name, which must keep a first and a last name, or a surname after a title
    ('Dr. Smith' -> 'Smith'); otherwise one field (a first name 'Dr. Anna' -> 'Anna', a last name
    'Koch II' -> 'Koch'), which must keep something other than a title ('Dr.' -> '', no name).
    nameparser takes the name apart (91 µs a name, so only names holding a word it knows as an
    affix, or a quote or parenthesis, go through it). Its reading is kept only when that much
    remains and every suffix is one by form, not just by spelling — 'Jr.', 'III', 'PhD', 'MBA' but
    not the 'Am' of 'Tran Van Am' (a Vietnamese name); otherwise the name stays as it is
    ('Prince Nelson', 'Hon Chan', 'King': a title word that is the person's name).
    """
    return _strip_affixes(name, whole)[0]


def name_parts(full: str) -> tuple[str, str | None, str | None]:
    """(name without affixes, first, last) of a full name: 'First Middle Last' or 'Last, First', titles
    and suffixes left out (without_affixes): 'Dr. Ana Maria da Silva, PhD' -> ('Ana Maria da Silva',
    'Ana', 'Maria da Silva'); a title before one name makes it the surname: 'Dr. Smith' -> ('Smith', None, 'Smith')."""
    bare, surname = _strip_affixes(full, whole=True)
    if surname:
        return bare, None, bare
    if "," in bare:
        last, _, first = bare.partition(",")
        return bare, first.strip() or None, last.strip() or None
    parts = bare.split()
    if not parts:
        return bare, None, None
    if len(parts) == 1:
        return bare, parts[0], None
    return bare, parts[0], " ".join(parts[1:])


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """(first, last) of a full name (name_parts)."""
    return name_parts(full)[1:]


# -- places ------------------------------------------------------------------------------------

# languages whose country names job boards and ATS exports in our markets write (pycountry ships
# the ISO 3166 names translated: "Polen", "Italia", "Brasil")
_COUNTRY_NAME_LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "nb", "fi", "cs")
# names in common use that ISO spells otherwise
_COUNTRY_ALIASES = {"usa": "US", "united states of america": "US", "uk": "GB", "england": "GB", "scotland": "GB",
                    "wales": "GB", "northern ireland": "GB", "great britain": "GB", "holland": "NL",
                    "south korea": "KR", "korea": "KR", "russia": "RU", "turkey": "TR", "uae": "AE",
                    "macedonia": "MK", "ivory coast": "CI", "cape verde": "CV", "czech republic": "CZ",
                    "swaziland": "SZ", "burma": "MM", "vatican": "VA"}


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    names = ("name", "official_name", "common_name")
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", *names):
            value = getattr(c, attr, None)
            if value:
                table[name_key(value) or value.lower()] = c.alpha_2
    for language in _COUNTRY_NAME_LANGUAGES:  # an English name wins over a translation that spells like it
        translate = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]).gettext
        for c in pycountry.countries:
            for attr in names:
                value = getattr(c, attr, None)
                if value:
                    table.setdefault(name_key(translate(value)) or translate(value).lower(), c.alpha_2)
    table.update(_COUNTRY_ALIASES)
    return table


def country_code(value: str) -> str:
    """Maps a country name or code (English, or one of _COUNTRY_NAME_LANGUAGES; "The Netherlands",
    "Republic of Ireland") to ISO-3166 alpha-2; returns the input uppercased when unknown."""
    key = name_key(value) or ""
    table = _country_lookup()
    for prefix in ("", "the ", "republic of the ", "republic of "):
        if key.startswith(prefix) and key[len(prefix):] in table:
            return table[key[len(prefix):]]
    return value.strip().upper()
