"""Seeded, realistic candidate feeds with ground truth, for demos, tests and benchmarks.

A set of true persons is drawn once (names from several Faker locales, some with diacritics,
valid phone numbers, personal and work emails, places, jobs, skills); each person then appears
in one to four sources, and every record carries the variation real feeds have: nicknames,
typos, dropped diacritics, swapped names, email case/whitespace noise, many phone formats and
missing fields. About 3% of records are deliberately invalid so validation has work to do.
`truth/truth_<seed>.csv` maps every candidate record back to its person.

Big sizes stay fast: Faker is called only to fill small pools, and rows are sampled from them
with numpy; Python loops run over distinct values or small subsets only.
"""

from __future__ import annotations

import gc
import json
import logging
import random
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
from faker import Faker
from unidecode import unidecode

log = logging.getLogger(__name__)

INVALID_SHARE = 0.03
_VERIFY_PHONES_UP_TO = 200_000
_CSV_CHUNK = 100_000  # above this many persons, numbers are valid by construction only

# -- reference data ----------------------------------------------------------------------------

SKILLS = [
    "Python", "Java", "Go", "Rust", "TypeScript", "JavaScript", "C++", "C#", "Kotlin", "Scala",
    "Ruby", "PHP", "Swift", "SQL", "PostgreSQL", "MySQL", "DuckDB", "Snowflake", "BigQuery",
    "Spark", "Kafka", "Airflow", "Prefect", "dbt", "Pandas", "NumPy", "PyTorch", "TensorFlow",
    "scikit-learn", "React", "Vue.js", "Angular", "Node.js", "Django", "Flask", "FastAPI",
    "Spring Boot", "GraphQL", "REST APIs", "Docker", "Kubernetes", "Terraform", "AWS", "GCP",
    "Azure", "Linux", "Git", "CI/CD", "Redis", "Elasticsearch", "MongoDB", "Microservices",
    "Machine Learning", "Data Modeling", "ETL", "Tableau", "Looker", "Figma", "Agile", "Scrum",
]
SKILL_KEYWORDS = {
    "Python": ["pandas", "asyncio"], "AWS": ["EC2", "S3", "Lambda"], "Kubernetes": ["Helm"],
    "React": ["Redux", "Next.js"], "SQL": ["window functions"], "Machine Learning": ["NLP"],
}
JOBS = [
    ("J-1001", "Senior Backend Engineer"), ("J-1002", "Data Engineer"),
    ("J-1003", "Frontend Engineer"), ("J-1004", "Site Reliability Engineer"),
    ("J-1005", "Machine Learning Engineer"), ("J-1006", "Engineering Manager"),
    ("J-1007", "Product Designer"), ("J-1008", "Data Analyst"),
    ("J-1009", "Full Stack Developer"), ("J-1010", "Staff Software Engineer"),
    ("J-1011", "DevOps Engineer"), ("J-1012", "Mobile Engineer (iOS)"),
    ("J-1013", "Mobile Engineer (Android)"), ("J-1014", "Security Engineer"),
    ("J-1015", "Analytics Engineer"), ("J-1016", "Platform Engineer"),
    ("J-1017", "QA Automation Engineer"), ("J-1018", "Solutions Architect"),
    ("J-1019", "Technical Product Manager"), ("J-1020", "Data Scientist"),
    ("J-1021", "Backend Engineer (Berlin)"), ("J-1022", "Software Engineer, Payments"),
    ("J-1023", "Cloud Engineer"), ("J-1024", "Developer Advocate"),
    ("J-1025", "Junior Software Engineer"), ("J-1026", "Principal Engineer"),
]
TITLES = [
    "Software Engineer", "Senior Software Engineer", "Data Engineer", "Backend Developer",
    "Frontend Engineer", "Full Stack Developer", "DevOps Engineer", "Site Reliability Engineer",
    "Data Scientist", "Machine Learning Engineer", "Engineering Manager", "Product Manager",
    "QA Engineer", "Mobile Developer", "Cloud Architect", "Security Engineer", "Data Analyst",
    "Platform Engineer", "Staff Engineer", "Solutions Architect", "Senior Data Engineer",
    "Junior Developer", "Tech Lead", "Analytics Engineer", "Senior Frontend Engineer",
]
GERMAN_TITLES = {
    "Software Engineer": "Softwareentwickler", "Backend Developer": "Backend-Entwickler",
    "Data Analyst": "Datenanalyst", "Engineering Manager": "Teamleiter Softwareentwicklung",
    "Full Stack Developer": "Full-Stack-Entwickler", "Junior Developer": "Junior-Entwickler",
    "QA Engineer": "Testingenieur", "Product Manager": "Produktmanager",
}
TAGS = ["referral-ready", "senior", "remote-ok", "relocation", "visa-needed", "boomerang",
        "silver-medalist", "sourced", "contractor", "event-2025", "hiring-manager-fav"]
RELATIONSHIPS = ["Former colleague", "Friend", "Classmate", "Met at a conference",
                 "Worked together", "Family friend", "Former manager", "Meetup"]
NOTES = [
    "Strong {skill} engineer, we worked together at {company}.",
    "Great fit for the team; very solid on {skill}.",
    "Knows {skill} inside out. Would be a great hire.",
    "Met at a {skill} meetup, impressive talk.",
    "Looking for a new role, open to relocation.",
    "", "", "",
]

NICKNAMES = {
    "Robert": ["Bob", "Rob", "Bobby"], "William": ["Bill", "Will", "Billy"],
    "Elizabeth": ["Liz", "Beth", "Lizzie"], "Katherine": ["Kate", "Katie", "Kathy"],
    "Catherine": ["Cathy", "Kate"], "Michael": ["Mike", "Mikey"], "Jennifer": ["Jen", "Jenny"],
    "James": ["Jim", "Jimmy", "Jamie"], "Alexander": ["Alex", "Xander"], "Daniel": ["Dan", "Danny"],
    "Christopher": ["Chris"], "Margaret": ["Maggie", "Peggy", "Meg"], "Richard": ["Rick", "Rich"],
    "Thomas": ["Tom", "Tommy"], "Joseph": ["Joe", "Joey"], "Anthony": ["Tony"],
    "Matthew": ["Matt"], "Nicholas": ["Nick"], "Benjamin": ["Ben"], "Samuel": ["Sam"],
    "Andrew": ["Andy", "Drew"], "Edward": ["Ed", "Ted", "Eddie"], "Jonathan": ["Jon"],
    "Joshua": ["Josh"], "Patricia": ["Pat", "Patty", "Trish"], "Rebecca": ["Becky"],
    "Susan": ["Sue", "Suzy"], "Deborah": ["Deb", "Debbie"], "Victoria": ["Vicky", "Tori"],
    "Alexandra": ["Alex", "Sasha"], "Stephanie": ["Steph"], "Timothy": ["Tim"],
    "Steven": ["Steve"], "Stephen": ["Steve"], "Gregory": ["Greg"], "Kenneth": ["Ken"],
    "Charles": ["Charlie", "Chuck"], "David": ["Dave"], "Jessica": ["Jess"], "Abigail": ["Abby"],
    "Samantha": ["Sam"], "Christina": ["Chris", "Tina"], "Zachary": ["Zach"],
    "Nathaniel": ["Nate"], "Theodore": ["Ted", "Theo"], "Frederick": ["Fred"],
    "Johannes": ["Hannes"], "Maximilian": ["Max"], "Friedrich": ["Fritz"],
    "Alejandro": ["Alex"], "Francisco": ["Paco"], "José": ["Pepe"], "Guillermo": ["Memo"],
}
_FORMAL_EN = [n for n in NICKNAMES if n.isascii() and n not in {
    "Johannes", "Maximilian", "Friedrich", "Alejandro", "Francisco", "Guillermo"}]
_FORMAL_DE = ["Johannes", "Maximilian", "Friedrich", "Alexander", "Thomas", "Michael", "Daniel"]

# curated names so diacritics (and a few non-Latin-1 letters) are common enough to matter
_CURATED = {
    "de_DE": (["Jürgen", "Jörg", "Björn", "Sören", "Günter", "Zoë", "Käthe", "Bärbel", "Jürgen"],
              ["Müller", "Schröder", "Schäfer", "Köhler", "Jäger", "Krüger", "Möller", "Günther",
               "Weiß", "Groß", "Böhm", "Vögele", "Hölzl", "Müller", "Schäfer"]),
    "fr_FR": (["François", "Hélène", "Zoë", "Chloé", "Jérôme", "Léa", "Gaëlle", "Benoît",
               "Élodie", "Amélie", "Cécile", "Anaïs"],
              ["Lefèvre", "Gagné", "Bélanger", "Côté", "Lefèbvre", "Bérubé", "Ménard",
               "Théberge", "Lévesque", "Fréchette", "Béranger", "Dubé"]),
    "es_ES": (["José", "María", "Ángel", "Sofía", "Inés", "Raúl", "Martín", "Lucía", "Jesús",
               "Begoña", "Íñigo", "Álvaro"],
              ["Núñez", "Peña", "Muñoz", "Ibáñez", "Gómez", "Fernández", "Martínez", "Ordóñez",
               "Sánchez", "Rodríguez", "Báez", "López"]),
    "nordic": (["Søren", "Bjørn", "Åsa", "Øystein", "Mårten", "Sigríður", "Jón", "Ása", "Kjell"],
               ["Ødegaard", "Løvik", "Kjærgaard", "Sørensen", "Ångström", "Strøm", "Håland",
                "Lindqvist", "Bergström"]),
    "cee": (["Łukasz", "Tomáš", "Jiří", "Zdeněk", "Oğuz", "Şebnem", "Małgorzata", "Dragoş",
             "Ivana", "Piotr"],
            ["Wróbel", "Dvořák", "Nowakowski", "Šimek", "Kovačević", "Yılmaz", "Łęcki", "Żak",
             "Novák", "Horváth"]),
}
_FAKER_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES"]
_NAME_LOCALES = _FAKER_LOCALES + ["nordic", "cee"]

COUNTRIES = ["US", "DE", "GB", "AT"]
_COUNTRY_P = [0.60, 0.21, 0.13, 0.06]
_LOCALE_P = {  # name origin by country of residence, in _NAME_LOCALES order
    "US": [0.72, 0.05, 0.04, 0.05, 0.10, 0.02, 0.02],
    "DE": [0.04, 0.02, 0.78, 0.04, 0.04, 0.04, 0.04],
    "GB": [0.05, 0.77, 0.03, 0.05, 0.04, 0.03, 0.03],
    "AT": [0.02, 0.02, 0.82, 0.03, 0.02, 0.02, 0.07],
}
_COMPANY_LOCALE = {"US": "en_US", "DE": "de_DE", "GB": "en_GB", "AT": "de_DE"}
_TLD = {"en_US": ".com", "en_GB": ".co.uk", "de_DE": ".de", "fr_FR": ".fr", "es_ES": ".es"}
_LEGAL_WORDS = {"and", "und", "et", "y", "inc", "llc", "ltd", "plc", "group", "gmbh", "co", "kg",
                "kgaa", "ag", "ohg", "gbr", "sarl", "sa", "sas", "sl", "scoop", "hnos", "e", "v",
                "mbh", "ug", "the", "de", "sons", "son", "associates"}

# (city, region, postal codes, US area codes)
_US_CITIES = [
    ("New York", "NY", 10001, [212, 646, 917, 718, 347], 9), ("Brooklyn", "NY", 11201, [718, 347, 929], 3),
    ("San Francisco", "CA", 94102, [415, 628], 7), ("Oakland", "CA", 94601, [510, 341], 2),
    ("San Jose", "CA", 95110, [408, 669], 2), ("Palo Alto", "CA", 94301, [650], 2),
    ("Los Angeles", "CA", 90012, [213, 310, 323, 424], 5), ("San Diego", "CA", 92101, [619, 858], 2),
    ("Seattle", "WA", 98101, [206], 6), ("Bellevue", "WA", 98004, [425], 2),
    ("Portland", "OR", 97201, [503, 971], 2), ("Boston", "MA", 2108, [617, 857], 5),
    ("Cambridge", "MA", 2139, [617, 857], 2), ("Chicago", "IL", 60601, [312, 773, 872], 5),
    ("Austin", "TX", 78701, [512, 737], 5), ("Dallas", "TX", 75201, [214, 469, 972], 3),
    ("Houston", "TX", 77002, [713, 281, 832], 3), ("Denver", "CO", 80202, [303, 720], 3),
    ("Atlanta", "GA", 30303, [404, 470, 678], 3), ("Miami", "FL", 33130, [305, 786], 2),
    ("Washington", "DC", 20001, [202], 3), ("Philadelphia", "PA", 19103, [215, 267], 2),
    ("Pittsburgh", "PA", 15222, [412], 1), ("Minneapolis", "MN", 55401, [612], 1),
    ("Raleigh", "NC", 27601, [919, 984], 2), ("Salt Lake City", "UT", 84101, [801, 385], 1),
    ("Phoenix", "AZ", 85004, [602, 480], 1), ("Nashville", "TN", 37203, [615, 629], 1),
    ("Detroit", "MI", 48226, [313], 1), ("Columbus", "OH", 43215, [614], 1),
]
_DE_CITIES = [
    ("Berlin", "Berlin", 10115, 2000, 10), ("München", "Bayern", 80331, 700, 6),
    ("Hamburg", "Hamburg", 20095, 2000, 5), ("Köln", "Nordrhein-Westfalen", 50667, 400, 4),
    ("Frankfurt am Main", "Hessen", 60311, 300, 4), ("Stuttgart", "Baden-Württemberg", 70173, 400, 3),
    ("Düsseldorf", "Nordrhein-Westfalen", 40210, 400, 3), ("Leipzig", "Sachsen", 4103, 250, 2),
    ("Dresden", "Sachsen", 1067, 250, 2), ("Nürnberg", "Bayern", 90402, 400, 2),
    ("Hannover", "Niedersachsen", 30159, 500, 2), ("Bremen", "Bremen", 28195, 600, 1),
    ("Karlsruhe", "Baden-Württemberg", 76131, 100, 2), ("Essen", "Nordrhein-Westfalen", 45127, 200, 1),
    ("Dortmund", "Nordrhein-Westfalen", 44135, 250, 1),
]
_GB_CITIES = [
    ("London", "England", ["EC1A", "EC2A", "N1", "NW1", "SE1", "SW1A", "W1D", "E1", "E14", "WC2H"], 10),
    ("Manchester", "England", ["M1", "M2", "M4", "M15"], 3), ("Birmingham", "England", ["B1", "B2", "B3"], 2),
    ("Leeds", "England", ["LS1", "LS2", "LS6"], 2), ("Bristol", "England", ["BS1", "BS2", "BS8"], 2),
    ("Cambridge", "England", ["CB1", "CB2", "CB4"], 2), ("Oxford", "England", ["OX1", "OX2", "OX4"], 1),
    ("Edinburgh", "Scotland", ["EH1", "EH2", "EH3", "EH8"], 2), ("Glasgow", "Scotland", ["G1", "G2", "G12"], 2),
    ("Cardiff", "Wales", ["CF10", "CF11", "CF24"], 1), ("Belfast", "Northern Ireland", ["BT1", "BT2", "BT7"], 1),
]
_AT_CITIES = [
    ("Wien", "Wien", [f"{1000 + 10 * i}" for i in range(1, 24)], 6),
    ("Graz", "Steiermark", ["8010", "8020", "8036", "8041", "8042", "8045"], 2),
    ("Linz", "Oberösterreich", ["4020", "4030", "4040"], 1), ("Salzburg", "Salzburg", ["5020"], 1),
    ("Innsbruck", "Tirol", ["6020"], 1),
]
_US_ACS = sorted({ac for c in _US_CITIES for ac in c[3]})
_DE_MOBILE = [(p, 8) for p in (151, 152, 157, 159)] + [(p, L) for p in (160, 162, 163, *range(170, 180)) for L in (7, 8)]
_AT_MOBILE = [664, 676, 699, 650, 660, 680, 681, 688]
_CC = {"US": "1", "DE": "49", "GB": "44", "AT": "43"}
_SPLIT = {"US": 3, "DE": 3, "GB": 4, "AT": 3}  # digits of the national number before the first space

_PERSONAL_DOMAINS = {
    "US": (["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me", "aol.com"],
           [45, 15, 14, 8, 8, 6, 4]),
    "DE": (["gmail.com", "gmx.de", "web.de", "outlook.de", "t-online.de", "proton.me", "yahoo.de"],
           [30, 22, 20, 8, 8, 7, 5]),
    "GB": (["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "btinternet.com", "icloud.com", "proton.me"],
           [40, 14, 14, 10, 8, 8, 6]),
    "AT": (["gmail.com", "gmx.at", "outlook.com", "aon.at", "proton.me"], [40, 25, 15, 12, 8]),
}

# country labels per source: (labels, weights); ISO code -> how this feed writes the country
_LABELS = {
    "stackjobs": {"US": (["US", "United States", "USA", "us"], [50, 30, 15, 5]),
                  "DE": (["Germany", "DE"], [60, 40]), "GB": (["United Kingdom", "GB", "UK"], [50, 25, 25]),
                  "AT": (["Austria", "AT"], [60, 40])},
    "eurotalent": {"US": (["USA", "US"], [60, 40]), "DE": (["Deutschland", "DE", "Germany"], [60, 25, 15]),
                   "GB": (["UK", "GB", "United Kingdom"], [40, 30, 30]), "AT": (["AT", "Austria"], [55, 45])},
    "ats_export": {"US": (["United States", "US"], [80, 20]), "DE": (["Germany"], [1]),
                   "GB": (["United Kingdom", "UK"], [80, 20]), "AT": (["Austria"], [1])},
    "career_site": {"US": (["US"], [1]), "DE": (["DE"], [1]), "GB": (["GB", "UK"], [85, 15]), "AT": (["AT"], [1])},
}
_BAD_COUNTRIES = ["Narnia", "Atlantis", "Westeros", "XX", "Mordor"]
_BAD_PHONES = ["12345", "000000", "123", "+1 (000) 000-0000", "555-CALL"]
_STAGES = ["Application Review", "Phone Screen", "Onsite", "Offer", "Hired"]
# (stay in progress, rejected, withdrawn) per stage; the rest advances
_STAGE_OUTCOMES = {0: (0.35, 0.30, 0.03), 1: (0.30, 0.30, 0.05), 2: (0.25, 0.40, 0.05), 3: (0.15, 0.0, 0.20)}
_KEYBOARD = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc", "g": "ftyhbv",
    "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop", "m": "njk", "n": "bhjm",
    "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz", "t": "rfgy", "u": "yhji",
    "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}


@dataclass(frozen=True)
class _Spec:
    """How one source renders a person: its phone region, field gaps and invalid-row kinds."""

    name: str
    region: str
    p_no_phone: float
    p_no_email: float
    p_work_email: float
    p_ascii: float
    p_no_city: float
    split_names: bool
    invalid: tuple[str, ...]


SPECS = {
    "stackjobs": _Spec("stackjobs", "US", 0.15, 0.05, 0.15, 0.35, 0.08, True,
                       ("bad_email", "bad_phone", "future", "country", "no_contact", "bad_linkedin", "bad_consent")),
    "eurotalent": _Spec("eurotalent", "DE", 0.20, 0.06, 0.20, 0.10, 0.06, False,
                        ("bad_email", "bad_phone", "future", "country", "no_contact")),
    "indeed_apply": _Spec("indeed_apply", "US", 0.25, 0.04, 0.10, 0.40, 0.0, True,
                          ("bad_email", "bad_phone", "future", "no_contact")),
    "referrals": _Spec("referrals", "US", 0.30, 0.08, 0.60, 0.30, 0.0, False,
                       ("bad_email", "bad_phone", "future", "no_contact", "bad_linkedin")),
    "ats_export": _Spec("ats_export", "US", 0.20, 0.05, 0.25, 0.20, 0.10, True,
                        ("bad_email", "bad_phone", "country", "no_contact", "bad_consent")),
    "career_site": _Spec("career_site", "GB", 0.10, 0.03, 0.10, 0.15, 0.05, False,
                         ("bad_email", "bad_phone", "country", "no_contact", "bad_linkedin")),
}
SOURCES = list(SPECS)
# source preference by country of residence, in SOURCES order
_SOURCE_W = {
    "US": [30, 3, 25, 12, 18, 12],
    "DE": [10, 35, 8, 10, 15, 15],
    "AT": [8, 38, 6, 10, 15, 15],
    "GB": [15, 12, 15, 10, 15, 30],
}
_N_SOURCES_P = [0.45, 0.36, 0.13, 0.06]  # people in 1, 2, 3, 4 sources
_REAPPLY_P = 0.04  # a second application in the same job board, to another job


# -- pools -------------------------------------------------------------------------------------

@dataclass
class _Pools:
    """Names, companies, referrers, skill sets and phone prefixes, drawn once per seed."""

    first: dict[str, np.ndarray]
    last: dict[str, np.ndarray]
    companies: dict[str, np.ndarray]  # country -> company names
    domains: dict[str, str]
    skill_sets: list[tuple[str, ...]]
    referrers: pd.DataFrame
    us_acs: np.ndarray
    de_mobile: list[tuple[int, int]]
    gb_prefixes: np.ndarray
    at_mobile: np.ndarray


def _valid(e164: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return False


def _prefix_ok(rnd: random.Random, make, tries: int = 12) -> bool:
    """A prefix is kept when every one of a few random numbers under it is valid."""
    return all(_valid(make(rnd)) for _ in range(tries))


def _company_domain(name: str, tld: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in unidecode(name).lower()).split()
             if w not in _LEGAL_WORDS]
    return "".join(words[:2] or ["company"]) + tld


def _build_pools(seed: int) -> _Pools:
    """Draws the per-seed pools with Faker (a few thousand calls) and checks phone prefixes."""
    rnd = random.Random(seed * 7919 + 1)
    first: dict[str, np.ndarray] = {}
    last: dict[str, np.ndarray] = {}
    fakers = {}
    for i, loc in enumerate(_FAKER_LOCALES):
        fake = Faker(loc)
        fake.seed_instance(seed * 101 + i)
        fakers[loc] = fake
        firsts = [fake.first_name() for _ in range(1200)]
        lasts = [fake.last_name() for _ in range(1200)]
        if loc in ("en_US", "en_GB"):
            firsts += [rnd.choice(_FORMAL_EN) for _ in range(300)]  # nickname material
        if loc == "de_DE":
            firsts += [rnd.choice(_FORMAL_DE) for _ in range(100)]
        if loc in _CURATED:
            cf, cl = _CURATED[loc]
            firsts += [rnd.choice(cf) for _ in range(350)]
            lasts += [rnd.choice(cl) for _ in range(350)]
        first[loc] = np.array(firsts, dtype=object)
        last[loc] = np.array(lasts, dtype=object)
    for loc in ("nordic", "cee"):
        first[loc] = np.array(_CURATED[loc][0], dtype=object)
        last[loc] = np.array(_CURATED[loc][1], dtype=object)

    companies: dict[str, np.ndarray] = {}
    domains: dict[str, str] = {}
    used: set[str] = set()
    for country in COUNTRIES:
        loc = _COMPANY_LOCALE[country]
        names = []
        for _ in range(400 if country != "AT" else 120):
            name = fakers[loc].company()
            if name in domains:
                continue
            domain = _company_domain(name, ".at" if country == "AT" else _TLD[loc])
            while domain in used:
                stem, dot, tld = domain.partition(".")
                domain = f"{stem}{rnd.randint(2, 99)}.{tld}"
            used.add(domain)
            domains[name] = domain
            names.append(name)
        companies[country] = np.array(names, dtype=object)

    skill_sets = []
    for _ in range(3000):
        k = rnd.choices([2, 3, 4, 5, 6], weights=[15, 30, 28, 17, 10])[0]
        skill_sets.append(tuple(rnd.sample(SKILLS, k)))

    ref_fake = fakers["en_US"]
    ref_rows, seen = [], set()
    while len(ref_rows) < 80:
        fn, ln = ref_fake.first_name(), ref_fake.last_name()
        email = f"{unidecode(fn).lower()}.{unidecode(ln).lower().replace(' ', '').replace(chr(39), '')}@acme.example"
        if email in seen:
            continue
        seen.add(email)
        ref_rows.append((f"{fn} {ln}", email))
    emp_ids = rnd.sample(range(1000, 10000), len(ref_rows))
    referrers = pd.DataFrame({"name": [r[0] for r in ref_rows], "email": [r[1] for r in ref_rows],
                              "employee_id": [f"E{e}" for e in emp_ids]})

    us_acs = [ac for ac in _US_ACS if _prefix_ok(rnd, lambda r, ac=ac: f"+1{ac}{r.randint(200, 999)}{r.randint(0, 9999):04d}")]
    de_mobile = [(p, L) for p, L in _DE_MOBILE
                 if _prefix_ok(rnd, lambda r, p=p, L=L: f"+49{p}{r.randint(10 ** (L - 1), 10 ** L - 1)}")]
    gb_candidates = rnd.sample([p for p in range(7100, 8000) if p // 100 not in (70, 76)], 240)
    gb_prefixes = [p for p in gb_candidates if _prefix_ok(rnd, lambda r, p=p: f"+44{p}{r.randint(0, 999999):06d}")]
    at_mobile = [p for p in _AT_MOBILE if _prefix_ok(rnd, lambda r, p=p: f"+43{p}{r.randint(10 ** 6, 10 ** 7 - 1)}")]
    return _Pools(first, last, companies, domains, skill_sets, referrers,
                  np.array(us_acs), de_mobile, np.array(gb_prefixes), np.array(at_mobile))


# -- persons -----------------------------------------------------------------------------------

def _ascii_map(values: np.ndarray) -> dict:
    """Distinct value -> lowercase ASCII letters only, for building email local parts."""
    out = {}
    for v in pd.unique(values):
        out[v] = "".join(c for c in unidecode(v).lower() if c.isalpha() or c == " ").replace(" ", "")
    return out


def _by_code(code: np.ndarray, formatters: list, *columns: np.ndarray) -> np.ndarray:
    """out[i] = formatters[code[i]](*(col[i] for col in columns)), one list comprehension per code."""
    out = np.empty(len(code), dtype=object)
    for k, fmt in enumerate(formatters):
        idx = np.flatnonzero(code == k)
        if len(idx):
            out[idx] = [fmt(*vals) for vals in zip(*(col[idx].tolist() for col in columns))]
    return out


def _ids(prefix: str, n: int, width: int, start: int = 1) -> list[str]:
    """Sequential ids like P000001, at least `width` digits."""
    width = max(width, len(str(start + n - 1)))
    return list(map(f"{prefix}{{:0{width}d}}".format, range(start, start + n)))


def _with_suffix(value: str, sep: str, k: int) -> str:
    local, at, domain = value.partition("@")
    return f"{local}{sep}{k}{at}{domain}"


def _make_unique(values: pd.Series, sep: str = "") -> pd.Series:
    """Numbers repeated values the way providers force people to (john.smith2@...); first one keeps it."""
    values = values.reset_index(drop=True)
    dup = values.duplicated(keep="first").to_numpy()
    if not dup.any():
        return values
    out = values.tolist()
    seen = set(out)
    next_k: dict[str, int] = {}
    for i in np.flatnonzero(dup).tolist():
        v = out[i]
        k = next_k.get(v, 2)
        while (candidate := _with_suffix(v, sep, k)) in seen:
            k += 1
        next_k[v] = k + 1
        seen.add(candidate)
        out[i] = candidate
    return pd.Series(out, dtype=object)


def _draw_phones(countries: np.ndarray, cities: np.ndarray, pools: _Pools, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draws (phone country, national significant number) per person, valid by construction."""
    n = len(countries)
    # most people's phone is from their country of residence; some moved
    moved = rng.random(n) < 0.05
    phone_country = np.where(moved, rng.choice(["US", "DE", "GB"], n, p=[0.5, 0.3, 0.2]), countries).astype(object)
    nsn = np.zeros(n, dtype=np.int64)

    m = phone_country == "US"
    k = int(m.sum())
    if k:
        # people living in a US city mostly keep a local area code
        lens = np.array([len(c[3]) for c in _US_CITIES])
        table = np.zeros((len(_US_CITIES), lens.max()), dtype=np.int64)
        for i, c in enumerate(_US_CITIES):
            table[i, :len(c[3])] = c[3]
        us_res = countries[m] == "US"
        ci = np.where(us_res, cities[m], 0)
        local_acs = table[ci, rng.integers(0, 1000, k) % lens[ci]]
        use_local = us_res & (rng.random(k) < 0.8) & np.isin(local_acs, pools.us_acs)
        acs = np.where(use_local, local_acs, rng.choice(pools.us_acs, k))
        exch = rng.integers(200, 1000, k)
        reserved = (exch % 100 == 11) | np.isin(exch, [555, 950, 958, 959, 976])  # N11, fictional, test
        exch = np.where(reserved, 234 + exch % 7 * 100, exch)
        nsn[m] = acs.astype(np.int64) * 10**7 + exch * 10**4 + rng.integers(0, 10**4, k)
    m = phone_country == "DE"
    k = int(m.sum())
    if k:
        idx = rng.integers(0, len(pools.de_mobile), k)
        pref = np.array([p for p, _ in pools.de_mobile], dtype=np.int64)[idx]
        length = np.array([L for _, L in pools.de_mobile], dtype=np.int64)[idx]
        lo = 10 ** (length - 1)
        nsn[m] = pref * 10**length + lo + (rng.random(k) * (9 * lo)).astype(np.int64)
    m = phone_country == "GB"
    k = int(m.sum())
    if k:
        nsn[m] = rng.choice(pools.gb_prefixes, k).astype(np.int64) * 10**6 + rng.integers(0, 10**6, k)
    m = phone_country == "AT"
    k = int(m.sum())
    if k:
        nsn[m] = rng.choice(pools.at_mobile, k).astype(np.int64) * 10**7 + rng.integers(10**6, 10**7, k)
    return phone_country, nsn


def _build_people(n: int, pools: _Pools, rng: np.random.Generator, now_s: int) -> dict[str, np.ndarray]:
    """Draws n true persons as columns, vectorized; emails, phones and LinkedIn slugs are unique."""
    country = rng.choice(COUNTRIES, n, p=_COUNTRY_P).astype(object)
    locale = np.empty(n, dtype=object)
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    city = np.empty(n, dtype=object)
    region = np.empty(n, dtype=object)
    postal = np.empty(n, dtype=object)
    city_idx = np.zeros(n, dtype=np.int64)
    company = np.empty(n, dtype=object)
    for c in COUNTRIES:
        m = country == c
        k = int(m.sum())
        if not k:
            continue
        locale[m] = rng.choice(_NAME_LOCALES, k, p=_LOCALE_P[c])
        table = {"US": _US_CITIES, "DE": _DE_CITIES, "GB": _GB_CITIES, "AT": _AT_CITIES}[c]
        w = np.array([row[-1] for row in table], dtype=float)
        ci = rng.choice(len(table), k, p=w / w.sum())
        city_idx[m] = ci
        city[m] = np.array([row[0] for row in table], dtype=object)[ci]
        region[m] = np.array([row[1] for row in table], dtype=object)[ci]
        if c == "US":
            base = np.array([row[2] for row in table], dtype=np.int64)[ci]
            postal[m] = list(map("{:05d}".format, (base + rng.integers(0, 40, k)).tolist()))
        elif c == "DE":
            base = np.array([row[2] for row in table], dtype=np.int64)[ci]
            span = np.array([row[3] for row in table], dtype=np.int64)[ci]
            postal[m] = list(map("{:05d}".format, (base + (rng.random(k) * span).astype(np.int64)).tolist()))
        elif c == "GB":
            letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)
            districts = [row[2] for row in table]
            pick = rng.integers(0, 1000, k)
            dist = np.array([districts[a][b % len(districts[a])] for a, b in zip(ci, pick)], dtype=object)
            postal[m] = (pd.Series(dist) + " " + pd.Series(rng.integers(1, 10, k)).astype(str)
                         + pd.Series(rng.choice(letters, k)) + pd.Series(rng.choice(letters, k))).to_numpy()
        else:
            codes = [row[2] for row in table]
            pick = rng.integers(0, 1000, k)
            postal[m] = np.array([codes[a][b % len(codes[a])] for a, b in zip(ci, pick)], dtype=object)
        # employer mostly from the country of residence
        home = rng.random(k) < 0.85
        other = rng.choice(COUNTRIES, k)
        emp_country = np.where(home, c, other)
        comp = np.empty(k, dtype=object)
        for ec in COUNTRIES:
            em = emp_country == ec
            if em.any():
                comp[em] = rng.choice(pools.companies[ec], int(em.sum()))
        company[m] = comp
    for loc in _NAME_LOCALES:
        m = locale == loc
        k = int(m.sum())
        if k:
            first[m] = rng.choice(pools.first[loc], k)
            last[m] = rng.choice(pools.last[loc], k)

    fa_map, la_map = _ascii_map(first), _ascii_map(last)
    fa = pd.Series(first, dtype=object).map(fa_map).to_numpy(dtype=object)
    la = pd.Series(last, dtype=object).map(la_map).to_numpy(dtype=object)
    fa[fa == ""] = "x"
    la[la == ""] = "x"

    # personal email: several local-part habits, domain by country
    pattern = rng.choice(6, n, p=[0.34, 0.14, 0.14, 0.10, 0.16, 0.12])
    num = rng.integers(1, 99, n)
    year = rng.integers(1970, 2003, n)
    local = _by_code(pattern, [
        lambda f, l, k, y: f"{f}.{l}", lambda f, l, k, y: f"{f}{l}", lambda f, l, k, y: f"{f[0]}{l}",
        lambda f, l, k, y: f"{f}_{l}", lambda f, l, k, y: f"{f}.{l}{k}", lambda f, l, k, y: f"{f}{l[0]}{y}",
    ], fa, la, num, year)
    pdomain = np.empty(n, dtype=object)
    for c in COUNTRIES:
        m = country == c
        if m.any():
            doms, w = _PERSONAL_DOMAINS[c]
            w = np.array(w, dtype=float)
            pdomain[m] = rng.choice(doms, int(m.sum()), p=w / w.sum())
    personal = _make_unique(pd.Series(local + "@" + pdomain, dtype=object))
    wpat = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    wdomain = pd.Series(company).map(pools.domains).to_numpy()
    work = _by_code(wpat, [lambda f, l, d: f"{f}.{l}@{d}", lambda f, l, d: f"{f[0]}{l}@{d}",
                           lambda f, l, d: f"{f}@{d}"], fa, la, wdomain)
    work = _make_unique(pd.Series(work, dtype=object))

    tail = rng.integers(0, 16**6, n)
    spat = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    slug = _by_code(spat, [lambda f, l, t: f"{f}-{l}-{t:06x}", lambda f, l, t: f"{f}{l}",
                           lambda f, l, t: f"{f}-{l}-{t % 256:02x}"], fa, la, tail)
    slug = _make_unique(pd.Series(slug, dtype=object), sep="-")

    phone_country, nsn = _draw_phones(country, city_idx, pools, rng)
    for _ in range(50):
        key = pd.Series(pd.Series(phone_country).map(_CC).astype(np.int64).to_numpy() * 10**13 + nsn)
        bad = key.duplicated(keep="first").to_numpy()
        if n <= _VERIFY_PHONES_UP_TO:
            check = np.flatnonzero(~bad)
            valid = np.fromiter((_valid(f"+{_CC[phone_country[i]]}{nsn[i]}") for i in check),
                                dtype=bool, count=len(check))
            bad[check[~valid]] = True
        if not bad.any():
            break
        phone_country[bad], nsn[bad] = _draw_phones(country[bad], city_idx[bad], pools, rng)
    else:
        raise RuntimeError("could not draw unique valid phone numbers")

    title = rng.choice(np.array(TITLES, dtype=object), n)
    job_w = 1.0 / (np.arange(len(JOBS)) + 2.0)
    job = rng.choice(len(JOBS), n, p=job_w / job_w.sum())
    # applied within the last ~8 months, whole minutes, at least two days ago
    base_ts = (now_s - rng.integers(2 * 86400, 240 * 86400, n)) // 60 * 60
    return {
        "person_id": np.array(_ids("P", n, 6), dtype=object),
        "first": first, "last": last, "country": country, "locale": locale,
        "city": city, "region": region, "postal": postal,
        "email_personal": personal.to_numpy(), "email_work": work.to_numpy(),
        "phone_country": phone_country, "phone_nsn": np.array(list(map(str, nsn.tolist())), dtype=object),
        "title": title, "company": company, "slug": slug.to_numpy(),
        "skill_set": rng.integers(0, len(pools.skill_sets), n), "job": job, "base_ts": base_ts,
    }


# -- record variation --------------------------------------------------------------------------

def _typo(rnd: random.Random, s: str) -> str:
    """One-letter typo: substitution by a keyboard neighbour, transposition or deletion."""
    if len(s) < 4:
        return s
    i = rnd.randrange(1, len(s) - 1)
    kind = rnd.random()
    if kind < 0.4:
        ch = s[i].lower()
        sub = rnd.choice(_KEYBOARD.get(ch, "aeiou"))
        return s[:i] + sub + s[i + 1:]
    if kind < 0.7:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + s[i + 1:]


def _email_noise(rnd: random.Random, e: str) -> str:
    """Case and whitespace noise the way people and forms produce it."""
    local, _, domain = e.partition("@")
    kind = rnd.random()
    if kind < 0.45:
        return ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain[:1].upper() + domain[1:]
    if kind < 0.6:
        return e.upper()
    if kind < 0.8:
        return "  " + e + " "
    return " " + ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain + "  "


def _broken_email(rnd: random.Random, e: str) -> str:
    local, _, domain = e.partition("@")
    return rnd.choice([local + "@", f"{local}@{domain.split('.')[0]}", f"{local} at {domain}",
                       f"{local}@@{domain}", local, f"{local}@{domain}."])


def _pick_labels(iso: np.ndarray, table: dict, rng: np.random.Generator) -> np.ndarray:
    """Writes each ISO code the ways this feed does (weighted labels per code)."""
    out = np.empty(len(iso), dtype=object)
    u = rng.random(len(iso))
    codes, uniques = pd.factorize(iso)
    for k, code in enumerate(uniques):
        labels, w = table[code]
        m = codes == k
        cum = np.cumsum(w) / np.sum(w)
        pick = np.minimum(np.searchsorted(cum, u[m], side="right"), len(labels) - 1)
        out[m] = np.array(labels, dtype=object)[pick]
    return out


def _phone_styles(c: str, region: str) -> tuple[list, list]:
    """(cumulative share, formatter) lists for national and international writing of country c."""
    k, cc = _SPLIT[c], _CC[c]
    if c == "US":
        national = [
            (0.35, lambda x: f"({x[:3]}) {x[3:6]}-{x[6:]}"), (0.55, lambda x: f"{x[:3]}-{x[3:6]}-{x[6:]}"),
            (0.70, lambda x: f"{x[:3]}.{x[3:6]}.{x[6:]}"), (0.88, lambda x: x),
            (0.95, lambda x: f"1-{x[:3]}-{x[3:6]}-{x[6:]}"), (1.01, lambda x: f"1 ({x[:3]}) {x[3:6]}-{x[6:]}"),
        ]
        intl = [(0.45, lambda x: f"+1 {x[:3]} {x[3:6]} {x[6:]}"), (0.75, lambda x: f"+1{x}"),
                (1.01, lambda x: f"+1 ({x[:3]}) {x[3:6]}-{x[6:]}")]
        return national, intl
    third = (lambda x: f"0{x[:k]}/{x[k:]}") if c in ("DE", "AT") else (lambda x: f"0{x[:k]} {x[k:k + 3]} {x[k + 3:]}")
    national = [(0.55, lambda x: f"0{x[:k]} {x[k:]}"), (0.75, lambda x: f"0{x}"), (0.88, third),
                (1.01, lambda x: f"+{cc} (0){x[:k]} {x[k:]}")]
    last = (lambda x: f"00{cc} {x[:k]} {x[k:]}") if region != "US" else (lambda x: f"+{cc}-{x[:k]}-{x[k:]}")
    intl = [(0.55, lambda x: f"+{cc} {x[:k]} {x[k:]}"), (0.85, lambda x: f"+{cc}{x}"), (1.01, last)]
    return national, intl


def _format_phones(pc: np.ndarray, nsn: np.ndarray, region: str, rng: np.random.Generator) -> np.ndarray:
    """Formats numbers the many ways people type them; national formats only for the feed's region."""
    n = len(pc)
    out = np.empty(n, dtype=object)
    nat = (pc == region) & (rng.random(n) < 0.75)
    style = rng.random(n)
    for c in COUNTRIES:
        mc = pc == c
        if not mc.any():
            continue
        for use_nat, options in zip((True, False), _phone_styles(c, region)):
            lo = 0.0
            for hi, fmt in options:
                idx = np.flatnonzero(mc & (nat == use_nat) & (style >= lo) & (style < hi))
                if len(idx):
                    out[idx] = [fmt(x) for x in nsn[idx]]
                lo = hi
    return out


def _records(people: dict[str, np.ndarray], pidx: np.ndarray, spec: _Spec, pools: _Pools,
             rng: np.random.Generator, rnd: random.Random, now_s: int) -> dict[str, np.ndarray]:
    """Renders one record per entry of pidx (as columns) with the variation and gaps of this source."""
    n = len(pidx)
    p = {c: people[c][pidx] for c in people if c != "locale"}  # fancy indexing copies
    first, last = p["first"], p["last"]

    # nicknames
    has_nick = pd.Series(first).isin(NICKNAMES.keys()).to_numpy()
    m = has_nick & (rng.random(n) < 0.35)
    if m.any():
        first[m] = [rnd.choice(NICKNAMES[f]) for f in first[m]]
    # dropped diacritics
    m = rng.random(n) < spec.p_ascii
    if m.any():
        folded = _fold_map(np.concatenate([first[m], last[m]]))
        first[m] = pd.Series(first[m]).map(folded).to_numpy()
        last[m] = pd.Series(last[m]).map(folded).to_numpy()
    # typos
    u = rng.random(n)
    m1, m2 = u < 0.025, (u >= 0.025) & (u < 0.05)
    if m1.any():
        first[m1] = [_typo(rnd, v) for v in first[m1]]
    if m2.any():
        last[m2] = [_typo(rnd, v) for v in last[m2]]
    # shouting or lowercase entry
    u = rng.random(n)
    for mask, fn in ((u < 0.015, str.upper), ((u >= 0.015) & (u < 0.03), str.lower)):
        if mask.any():
            first[mask] = [fn(v) for v in first[mask]]
            last[mask] = [fn(v) for v in last[mask]]
    # first and last swapped
    m = rng.random(n) < (0.02 if spec.split_names else 0.01)
    first[m], last[m] = last[m].copy(), first[m].copy()

    # contact: phone missing, or email missing (never both, outside the invalid rows)
    no_phone = rng.random(n) < spec.p_no_phone
    no_email = ~no_phone & (rng.random(n) < spec.p_no_email)
    use_work = rng.random(n) < spec.p_work_email
    email = np.where(use_work, p["email_work"], p["email_personal"]).astype(object)
    m = rng.random(n) < 0.09
    if m.any():
        email[m] = [_email_noise(rnd, e) for e in email[m]]
    phone = _format_phones(p["phone_country"], p["phone_nsn"], spec.region, rng)
    email[no_email] = None
    phone[no_phone] = None

    ts = p["base_ts"] + rng.integers(-3 * 86400, 2 * 86400, n) // 60 * 60
    ts = np.minimum(ts, (now_s - 3600) // 60 * 60)
    city = p["city"]
    no_city = rng.random(n) < spec.p_no_city
    city[no_city] = None

    invalid = np.full(n, "", dtype=object)
    bad = rng.random(n) < INVALID_SHARE
    if bad.any():
        invalid[bad] = rng.choice(np.array(spec.invalid, dtype=object), int(bad.sum()))
    for i in np.flatnonzero(bad):
        kind = invalid[i]
        if kind == "bad_email":
            email[i] = _broken_email(rnd, p["email_personal"][i])
        elif kind == "bad_phone":
            phone[i] = rnd.choice(_BAD_PHONES)
        elif kind == "future":
            ts[i] = now_s + rnd.randint(2, 60) * 86400 + rnd.randint(0, 1439) * 60
        elif kind == "no_contact":
            email[i] = phone[i] = None

    job = p["job"]
    other_job = rng.random(n) < 0.15
    job[other_job] = rng.integers(0, len(JOBS), int(other_job.sum()))

    title = p["title"]
    m = rng.random(n) < 0.25
    if m.any():
        title[m] = [t.replace("Senior ", "Sr. ") for t in title[m]]
    return {
        "person_id": p["person_id"], "first": first, "last": last, "email": email,
        "phone": phone, "city": city, "region": p["region"], "postal": p["postal"],
        "country": p["country"], "title": title, "company": p["company"],
        "slug": p["slug"], "skill_set": p["skill_set"], "job": job, "ts": ts,
        "invalid": invalid, "email_personal": p["email_personal"],
    }


def _fold_map(values: np.ndarray) -> dict:
    return {v: unidecode(v) for v in pd.unique(values)}


@lru_cache(maxsize=1)
def _times_of_day() -> np.ndarray:
    return np.array([f"T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z" for t in range(86400)], dtype=object)


def _iso(ts: np.ndarray, unit: str = "s") -> np.ndarray:
    """Epoch seconds -> '2026-03-04T10:22:00Z' (or '2026-03-04' for unit='D'), via per-day lookups."""
    ts = np.asarray(ts, dtype=np.int64)
    days, inverse = np.unique(ts // 86400, return_inverse=True)
    dates = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)[inverse]
    return dates if unit == "D" else dates + _times_of_day()[ts % 86400]


def _linkedin(slug: pd.Series | np.ndarray, country: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Profile URLs the way people paste them (with or without scheme, www, country subdomain, slash)."""
    u = rng.random(len(slug))
    style = np.select([u < 0.55, u < 0.8, u < 0.9], [0, 1, 2], 3)
    sub = np.select([country == "DE", country == "GB", country == "AT"], ["de.", "uk.", "at."], "www.")
    return _by_code(style, [lambda s, c: f"https://www.linkedin.com/in/{s}", lambda s, c: f"linkedin.com/in/{s}/",
                            lambda s, c: f"http://linkedin.com/in/{s}", lambda s, c: f"https://{c}linkedin.com/in/{s}"],
                    np.asarray(slug, dtype=object), sub.astype(object))


def _present(values: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """Blanks out values with probability 1 - p."""
    out = values.astype(object).copy()
    out[rng.random(len(out)) >= p] = None
    return out


def _join_skills(skill_sets: list, idx: np.ndarray, sep: str) -> np.ndarray:
    joined = np.array([sep.join(s) for s in skill_sets], dtype=object)
    return joined[idx]


# -- sources -----------------------------------------------------------------------------------

def _stackjobs_frame(r: pd.DataFrame | dict, pools: _Pools, rng: np.random.Generator, rnd: random.Random) -> dict:
    """Renders records in the StackJobs CSV layout."""
    n = len(r["person_id"])
    iso = np.asarray(r["country"])
    country = _pick_labels(iso, _LABELS["stackjobs"], rng)
    state = np.where((iso == "US") | (rng.random(n) < 0.4), np.asarray(r["region"]), None)
    skills = np.where(rng.random(n) < 0.7, _join_skills(pools.skill_sets, np.asarray(r["skill_set"]), ";"),
                      _join_skills(pools.skill_sets, np.asarray(r["skill_set"]), "; "))
    linkedin = np.full(n, None, dtype=object)
    has_li = rng.random(n) < 0.55
    linkedin[has_li] = _linkedin(np.asarray(r["slug"])[has_li], iso[has_li], rng)
    opt_in = rng.choice(np.array(["yes", "no", None], dtype=object), n, p=[0.45, 0.2, 0.35])
    job = np.asarray(r["job"])
    inv = np.asarray(r["invalid"])
    slug = np.asarray(r["slug"])
    for i in np.flatnonzero(inv != ""):
        if inv[i] == "country":
            country[i] = rnd.choice(_BAD_COUNTRIES)
        elif inv[i] == "bad_linkedin":
            linkedin[i] = f"https://www.facebook.com/{slug[i]}"
        elif inv[i] == "bad_consent":
            opt_in[i] = rnd.choice(["maybe", "later", "2"])
    return {  # a dict of columns: cheaper than a DataFrame at a million rows
        "applicant_id": _ids("SJ-", n, 6),
        "first_name": r["first"], "last_name": r["last"], "email": r["email"], "phone": r["phone"],
        "city": r["city"], "state": state, "zip": _present(np.asarray(r["postal"]), 0.9, rng),
        "country": country,
        "current_title": _present(np.asarray(r["title"]), 0.93, rng),
        "current_company": _present(np.asarray(r["company"]), 0.9, rng),
        "linkedin": linkedin, "skills": _present(skills, 0.9, rng),
        "job_id": np.array([JOBS[j][0] for j in range(len(JOBS))], dtype=object)[job],
        "job_title": np.array([JOBS[j][1] for j in range(len(JOBS))], dtype=object)[job],
        "applied_at": _iso(np.asarray(r["ts"])), "email_opt_in": opt_in,
    }


def _latin1(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        value.encode("latin-1")
        return value
    except UnicodeEncodeError:
        return "".join(ch if ord(ch) < 256 else unidecode(ch) for ch in value)


def _eurotalent_frame(r: pd.DataFrame, pools: _Pools, rng: np.random.Generator) -> pd.DataFrame:
    n = len(r)
    comma = rng.random(n) < 0.3
    name = np.where(comma, r["last"] + ", " + r["first"], r["first"] + " " + r["last"])
    title = r["title"].to_numpy().copy()
    de = np.isin(r["country"].to_numpy(), ["DE", "AT"]) & (rng.random(n) < 0.5)
    title[de] = [GERMAN_TITLES.get(t, t) for t in title[de]]
    inv = r["invalid"].to_numpy()
    land = _pick_labels(r["country"].to_numpy(), _LABELS["eurotalent"], rng)
    land = np.where(inv == "country", rng.choice(_BAD_COUNTRIES, n), land)
    ts = r["ts"].to_numpy()
    frame = pd.DataFrame({
        "Kandidat-ID": _ids("ET-", n, 6, start=100001),
        "Name": name, "E-Mail": r["email"], "Telefon": r["phone"], "Ort": r["city"],
        "PLZ": _present(r["postal"].to_numpy(), 0.9, rng), "Land": land,
        "Position": _present(title, 0.92, rng),
        "Kenntnisse": _present(_join_skills(pools.skill_sets, r["skill_set"].to_numpy(), ","), 0.9, rng),
        "Beworben am": _iso(ts, "D"),
    })
    for col in frame.columns:
        frame[col] = frame[col].map(_latin1)
    return frame


def _indeed_lines(r: pd.DataFrame, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    n = len(r)
    ids = rng.choice(16**10, n, replace=False)
    ids = [f"{i:010x}" for i in ids]
    mode = rng.choice(3, n, p=[0.7, 0.15, 0.15])  # 0 all names, 1 full only, 2 first/last only
    loc_mode = rng.random(n)
    lines = []
    for i, row in enumerate(r.itertuples(index=False)):
        applicant: dict = {}
        if mode[i] != 2:
            applicant["fullName"] = f"{row.first} {row.last}"
        if mode[i] != 1:
            applicant["firstName"] = row.first
            applicant["lastName"] = row.last
        if row.email is not None:
            applicant["email"] = row.email
        if row.phone is not None:
            applicant["phoneNumber"] = row.phone
        job = {"jobId": JOBS[row.job][0], "jobTitle": JOBS[row.job][1]}
        if loc_mode[i] < 0.7 and row.city is not None:
            job["jobLocation"] = f"{row.city}, {row.region}" if row.country == "US" else f"{row.city}, {row.country}"
        elif loc_mode[i] < 0.9:
            job["jobLocation"] = "Remote"
        lines.append(json.dumps({"id": ids[i], "appliedOnMillis": int(row.ts) * 1000, "job": job,
                                 "applicant": applicant}, ensure_ascii=False))
    return ids, lines


def _referrals_frame(r: pd.DataFrame, pools: _Pools, rng: np.random.Generator, rnd: random.Random) -> pd.DataFrame:
    n = len(r)
    ref = pools.referrers.iloc[rng.integers(0, len(pools.referrers), n)].reset_index(drop=True)
    ref_email = ref["email"].to_numpy().copy()
    ref_name = ref["name"].to_numpy().copy()
    u = rng.random(n)
    ref_name[u < 0.1] = None
    ref_email[(u >= 0.1) & (u < 0.15)] = None
    skills = [pools.skill_sets[s] for s in r["skill_set"].to_numpy()]
    notes = [rnd.choice(NOTES).format(skill=sk[0], company=co) for sk, co in zip(skills, r["company"].to_numpy())]
    ts = r["ts"].to_numpy() - rng.integers(0, 3 * 86400, n) // 60 * 60
    future = r["invalid"].to_numpy() == "future"
    ts = np.where(future, r["ts"].to_numpy(), ts)
    linkedin = _linkedin(r["slug"], r["country"].to_numpy(), rng)
    linkedin = np.where(r["invalid"].to_numpy() == "bad_linkedin", "linkedin.com/company/" + r["slug"], linkedin)
    return pd.DataFrame({
        "referral_id": _ids("REF-", n, 5),
        "candidate_name": r["first"] + " " + r["last"], "candidate_email": r["email"],
        "candidate_phone": r["phone"], "candidate_company": _present(r["company"].to_numpy(), 0.9, rng),
        "candidate_linkedin": np.where((rng.random(n) < 0.5) | (r["invalid"].to_numpy() == "bad_linkedin"), linkedin, None),
        "job_id": np.array([j for j, _ in JOBS], dtype=object)[r["job"].to_numpy()],
        "referrer_email": ref_email, "referrer_name": ref_name, "referrer_employee_id": _present(ref["employee_id"].to_numpy(), 0.85, rng),
        "relationship": _present(rng.choice(np.array(RELATIONSHIPS, dtype=object), n), 0.9, rng),
        "note": notes, "submitted_at": _iso(ts),
    })


def _ats_frame(r: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(r)
    inv = r["invalid"].to_numpy()
    country = _pick_labels(r["country"].to_numpy(), _LABELS["ats_export"], rng)
    country = np.where(inv == "country", rng.choice(_BAD_COUNTRIES, n), _present(country, 0.92, rng))
    k = rng.integers(0, 4, n)
    tags = [",".join(sorted(set(rng.choice(TAGS, kk, replace=False)))) if kk else None for kk in k]
    flags = np.array(["true", "false", None], dtype=object)
    email_consent = rng.choice(flags, n, p=[0.55, 0.2, 0.25])
    email_consent = np.where(inv == "bad_consent", rng.choice(["maybe", "pending"], n), email_consent)
    return pd.DataFrame({
        "candidate_id": _ids("GH-", n, 5, start=40001),
        "First": r["first"], "Last": r["last"], "Email Address": r["email"], "Mobile": r["phone"],
        "City": r["city"], "Country": country, "Title": _present(r["title"].to_numpy(), 0.9, rng),
        "Company": _present(r["company"].to_numpy(), 0.9, rng), "Tags": tags,
        "Email Consent": email_consent, "SMS Consent": rng.choice(flags, n, p=[0.35, 0.3, 0.35]),
    })


def _ats_status_frame(ats: pd.DataFrame, r: pd.DataFrame, rnd: random.Random, now_s: int) -> pd.DataFrame:
    """Stage changes for each ATS candidate: chronological, mostly stopping early, all in the past."""
    rows = []
    limit = now_s - 3600
    emails = ats["Email Address"].to_numpy()
    for cid, email, inv, job, ts in zip(ats["candidate_id"], emails, r["invalid"], r["job"], r["ts"]):
        clean = email.strip().lower() if isinstance(email, str) and inv != "bad_email" else None
        if rnd.random() < 0.06:
            clean = None
        t = min(int(ts) + rnd.randint(0, 2 * 86400) // 60 * 60, limit)
        job_id = JOBS[job][0]
        stage = 0
        rows.append((cid, clean, job_id, _STAGES[0], t))
        while stage < 4:
            stay, reject, withdraw = _STAGE_OUTCOMES[stage]
            u = rnd.random()
            t += rnd.randint(1, 14) * 86400 + rnd.randint(0, 600) * 60
            if u < stay or t > limit:
                break
            if u < stay + reject:
                rows.append((cid, clean, job_id, "Rejected", t))
                break
            if u < stay + reject + withdraw:
                rows.append((cid, clean, job_id, "Withdrawn", t))
                break
            stage += 2 if stage == 0 and rnd.random() < 0.12 else 1  # some skip the phone screen
            rows.append((cid, clean, job_id, _STAGES[stage], t))
    frame = pd.DataFrame(rows, columns=["candidate_id", "candidate_email", "job_id", "stage", "t"])
    frame = frame.sort_values("t", kind="stable").reset_index(drop=True)
    frame.insert(0, "event_id", _ids("EV-", len(frame), 6))
    frame["changed_at"] = _iso(frame.pop("t").to_numpy(dtype=np.int64))
    return frame


def _resume_docs(r: pd.DataFrame, pools: _Pools, rng: np.random.Generator, rnd: random.Random) -> tuple[list[str], list[str]]:
    n = len(r)
    ids = _ids("CS-", n, 4)
    iso = r["country"].to_numpy()
    codes = _pick_labels(iso, _LABELS["career_site"], rng)
    linkedin = _linkedin(r["slug"], iso, rng)
    has_li = rng.random(n) < 0.6
    prev = rng.random(n) < 0.4
    docs = []
    for i, row in enumerate(r.itertuples(index=False)):
        basics: dict = {"name": f"{row.first} {row.last}"}
        if row.email is not None:
            basics["email"] = row.email
        if row.phone is not None:
            basics["phone"] = row.phone
        location = {}
        if row.city is not None:
            location["city"] = row.city
        if rnd.random() < 0.8:
            location["region"] = row.region
        location["countryCode"] = rnd.choice(_BAD_COUNTRIES) if row.invalid == "country" else codes[i]
        if rnd.random() < 0.85:
            location["postalCode"] = row.postal
        basics["location"] = location
        if row.invalid == "bad_linkedin":
            basics["profiles"] = [{"network": "LinkedIn", "url": f"https://www.linkedin.com/company/{row.slug}"}]
        elif has_li[i]:
            basics["profiles"] = [{"network": "LinkedIn", "url": linkedin[i]}]
        else:
            basics["profiles"] = []
        work = [{"name": row.company, "position": row.title}]
        if prev[i]:
            work.append({"name": rnd.choice(list(pools.companies[row.country])), "position": rnd.choice(TITLES)})
        skills = [{"name": s, "keywords": list(SKILL_KEYWORDS.get(s, []))} for s in pools.skill_sets[row.skill_set]]
        docs.append(json.dumps({"meta": {"id": ids[i]}, "basics": basics, "work": work, "skills": skills},
                               ensure_ascii=False))
    return ids, docs


# -- assignment ----------------------------------------------------------------------------------

def _assign_sources(people: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Picks 1-4 distinct sources per person (weighted by country), plus some re-applications."""
    n = len(people["person_id"])
    k = rng.choice(np.arange(1, 5), n, p=_N_SOURCES_P)
    table = np.array([_SOURCE_W[c] for c in COUNTRIES], dtype=float)
    weights = table[pd.Index(COUNTRIES).get_indexer(people["country"])]
    keys = np.log(weights) + rng.gumbel(size=weights.shape)  # Gumbel top-k = weighted sampling w/o replacement
    order = np.argsort(-keys, axis=1, kind="stable")
    chosen = np.zeros_like(keys, dtype=bool)
    rows = np.arange(n)
    for j in range(4):
        take = k > j
        chosen[rows[take], order[take, j]] = True
    # every source gets someone once there are enough people
    for s in range(len(SOURCES)):
        if n >= len(SOURCES) and not chosen[:, s].any():
            cand = np.flatnonzero(chosen.sum(axis=1) < 4)
            chosen[cand[rng.integers(0, len(cand))], s] = True
    out = {}
    for s, name in enumerate(SOURCES):
        pidx = np.flatnonzero(chosen[:, s])
        if name in ("stackjobs", "indeed_apply"):
            again = pidx[rng.random(len(pidx)) < _REAPPLY_P]
            pidx = np.concatenate([pidx, again])
        out[name] = rng.permutation(pidx)
    return out


# -- public ------------------------------------------------------------------------------------

@contextmanager
def _gc_paused():
    """Pauses the cyclic GC: millions of short-lived tuples and strings, no reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _now_s(now: datetime | None) -> int:
    if now is None:  # today at midnight UTC, so repeated runs on one day are identical
        now = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return int(now.timestamp())


def _text_cell(v: object) -> str:
    return "" if v is None or v != v else str(v)  # None and NaN are blank


def _cells(values, sep: str) -> list[str]:
    """One column as CSV text: blanks for missing values, RFC 4180 quotes only where needed."""
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    cells = [v if v.__class__ is str else _text_cell(v) for v in values]
    probe = "\x00".join(cells)
    if sep in probe or '"' in probe or "\n" in probe or "\r" in probe:
        cells = [f'"{c.replace(chr(34), chr(34) * 2)}"' if (sep in c or '"' in c or "\n" in c or "\r" in c) else c
                 for c in cells]
    return cells


def _write_csv(frame: pd.DataFrame | dict, path: Path, sep: str = ",", encoding: str = "utf-8") -> int:
    """Writes text columns (a frame or a dict of equal-length columns) as CSV, faster than to_csv."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(frame.keys())
    columns = [_cells(frame[c], sep) for c in names]
    header = sep.join(_cells(names, sep))
    n = len(columns[0]) if columns else 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(header + "\n")
        for start in range(0, n, _CSV_CHUNK):  # chunks keep memory flat for a million rows
            part = zip(*(col[start:start + _CSV_CHUNK] for col in columns))
            fh.write("\n".join(sep.join(row) for row in part) + "\n")
    return n


def generate(out_dir: Path, candidates: int, seed: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Reads nothing -> writes seeded source feeds and truth/truth_<seed>.csv under out_dir; returns records per file."""
    with _gc_paused():
        return _generate(Path(out_dir), candidates, seed, now)


def _generate(out_dir: Path, candidates: int, seed: int, now: datetime | None) -> dict[str, int]:
    now_s = _now_s(now)
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    pools = _build_pools(seed)
    people = _build_people(candidates, pools, rng, now_s)
    assignment = _assign_sources(people, rng)
    recs = {name: pd.DataFrame(_records(people, pidx, SPECS[name], pools, rng, rnd, now_s))
            for name, pidx in assignment.items()}

    counts: dict[str, int] = {}
    truth: list[pd.DataFrame] = []

    def record(rel: str, n: int) -> None:
        counts[rel] = n
        log.info("wrote %s records to %s", n, out_dir / rel)

    def add_truth(source: str, ids, r: pd.DataFrame) -> None:
        truth.append(pd.DataFrame({"source_name": source, "source_record_id": list(ids),
                                   "person_id": r["person_id"].to_numpy()}))

    rel = f"stackjobs/stackjobs_{seed}.csv"
    frame = _stackjobs_frame(recs["stackjobs"], pools, rng, rnd)
    record(rel, _write_csv(frame, out_dir / rel))
    add_truth("stackjobs", frame["applicant_id"], recs["stackjobs"])

    rel = f"eurotalent/eurotalent_{seed}.csv"
    frame = _eurotalent_frame(recs["eurotalent"], pools, rng)
    record(rel, _write_csv(frame, out_dir / rel, sep=";", encoding="latin-1"))
    add_truth("eurotalent", frame["Kandidat-ID"], recs["eurotalent"])

    rel = f"indeed/indeed_{seed}.jsonl"
    ids, lines = _indeed_lines(recs["indeed_apply"], rng)
    (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (out_dir / rel).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    record(rel, len(lines))
    add_truth("indeed_apply", ids, recs["indeed_apply"])

    rel = f"referrals/referrals_{seed}.csv"
    frame = _referrals_frame(recs["referrals"], pools, rng, rnd)
    record(rel, _write_csv(frame, out_dir / rel))
    add_truth("referrals", frame["referral_id"], recs["referrals"])

    rel = f"ats_export/ats_export_{seed}.csv"
    ats = _ats_frame(recs["ats_export"], rng)
    record(rel, _write_csv(ats, out_dir / rel))
    add_truth("ats_export", ats["candidate_id"], recs["ats_export"])

    rel = f"ats_status/ats_status_{seed}.csv"
    status = _ats_status_frame(ats, recs["ats_export"], rnd, now_s)
    record(rel, _write_csv(status, out_dir / rel))

    rel = f"resumes/resumes_{seed}.json"
    ids, docs = _resume_docs(recs["career_site"], pools, rng, rnd)
    (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (out_dir / rel).write_text("[\n" + ",\n".join(docs) + ("\n" if docs else "") + "]\n", encoding="utf-8")
    record(rel, len(docs))
    add_truth("career_site", ids, recs["career_site"])

    rel = f"truth/truth_{seed}.csv"
    record(rel, _write_csv(pd.concat(truth, ignore_index=True), out_dir / rel))
    return counts


def generate_board_rows(path: Path, rows: int, seed: int = 7, now: datetime | None = None) -> int:
    """Reads nothing -> writes a StackJobs-layout CSV of `rows` applications to path; returns rows written."""
    with _gc_paused():
        return _generate_board_rows(Path(path), rows, seed, now)


def _generate_board_rows(path: Path, rows: int, seed: int, now: datetime | None) -> int:
    now_s = _now_s(now)
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    pools = _build_pools(seed)
    rows = max(0, rows)
    n_people = max(1, int(rows / 1.4)) if rows else 0
    people = _build_people(n_people, pools, rng, now_s)
    # everyone applies once (people are drawn in random order); many apply again later
    pidx = np.concatenate([np.arange(n_people), rng.integers(0, max(n_people, 1), rows - n_people)])
    recs = _records(people, pidx, SPECS["stackjobs"], pools, rng, rnd, now_s)
    del people
    frame = _stackjobs_frame(recs, pools, rng, rnd)
    del recs
    written = _write_csv(frame, path)
    log.info("wrote %s board rows to %s", written, path)
    return written
