"""The seeded feed generator: determinism, exact layouts, encodings, ground truth and realism."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import phonenumbers
import pytest

from tasks.generate import generate, generate_board_rows

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
SEED = 3
N = 300

HEADERS = {
    "stackjobs": ("stackjobs/stackjobs_{seed}.csv", ",", "utf-8",
                  "applicant_id,first_name,last_name,email,phone,city,state,zip,country,current_title,"
                  "current_company,linkedin,skills,job_id,job_title,applied_at,email_opt_in"),
    "eurotalent": ("eurotalent/eurotalent_{seed}.csv", ";", "latin-1",
                   "Kandidat-ID;Name;E-Mail;Telefon;Ort;PLZ;Land;Position;Kenntnisse;Beworben am"),
    "referrals": ("referrals/referrals_{seed}.csv", ",", "utf-8",
                  "referral_id,candidate_name,candidate_email,candidate_phone,candidate_company,"
                  "candidate_linkedin,job_id,referrer_email,referrer_name,referrer_employee_id,"
                  "relationship,note,submitted_at"),
    "ats_export": ("ats_export/ats_export_{seed}.csv", ",", "utf-8",
                   "candidate_id,First,Last,Email Address,Mobile,City,Country,Title,Company,Tags,"
                   "Email Consent,SMS Consent"),
    "ats_status": ("ats_status/ats_status_{seed}.csv", ",", "utf-8",
                   "event_id,candidate_id,candidate_email,job_id,stage,changed_at"),
    "truth": ("truth/truth_{seed}.csv", ",", "utf-8", "source_name,source_record_id,person_id"),
}
STAGES = ["Application Review", "Phone Screen", "Onsite", "Offer", "Hired"]


def _rows(root: Path, name: str, seed: int = SEED) -> list[dict[str, str]]:
    rel, sep, encoding, _ = HEADERS[name]
    text = (root / rel.format(seed=seed)).read_text(encoding=encoding)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=sep))


def _indeed(root: Path, seed: int = SEED) -> list[dict]:
    lines = (root / f"indeed/indeed_{seed}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _resumes(root: Path, seed: int = SEED) -> list[dict]:
    return json.loads((root / f"resumes/resumes_{seed}.json").read_text(encoding="utf-8"))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def feeds(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("feeds")
    return root, generate(root, N, seed=SEED, now=NOW)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(feeds, tmp_path):
    root, counts = feeds
    again = generate(tmp_path / "again", N, seed=SEED, now=NOW)
    assert again == counts
    first, second = _files(root), _files(tmp_path / "again")
    assert set(first) == set(counts) == set(second)
    assert first == second

    generate(tmp_path / "other", N, seed=SEED + 1, now=NOW)
    other = {rel.replace(f"_{SEED + 1}.", f"_{SEED}."): data for rel, data in _files(tmp_path / "other").items()}
    assert set(other) == set(first)
    assert all(other[rel] != first[rel] for rel in first)


def test_every_file_exists_with_the_exact_layout(feeds):
    root, counts = feeds
    for name, (rel, _, encoding, header) in HEADERS.items():
        path = root / rel.format(seed=SEED)
        assert path.read_text(encoding=encoding).split("\n", 1)[0] == header, name
        assert len(_rows(root, name)) == counts[rel.format(seed=SEED)] > 0, name

    indeed = _indeed(root)
    assert len(indeed) == counts[f"indeed/indeed_{SEED}.jsonl"] > 0
    for doc in indeed:
        assert set(doc) == {"id", "appliedOnMillis", "job", "applicant"}
        assert isinstance(doc["appliedOnMillis"], int)
        assert set(doc["job"]) <= {"jobId", "jobTitle", "jobLocation"} and "jobId" in doc["job"]
        assert set(doc["applicant"]) <= {"fullName", "firstName", "lastName", "email", "phoneNumber"}
    assert any("phoneNumber" not in d["applicant"] for d in indeed)  # some fields are missing

    resumes = _resumes(root)
    assert len(resumes) == counts[f"resumes/resumes_{SEED}.json"] > 0
    for doc in resumes:
        assert doc["meta"]["id"].startswith("CS-")
        assert {"name", "location", "profiles"} <= set(doc["basics"])
        assert doc["work"] and "position" in doc["work"][0]
        assert all(set(s) == {"name", "keywords"} for s in doc["skills"])


def test_eurotalent_is_latin1_with_non_ascii_text(feeds):
    root, _ = feeds
    raw = (root / f"eurotalent/eurotalent_{SEED}.csv").read_bytes()
    assert any(b > 127 for b in raw), "expected umlauts/accents in the German board"
    text = raw.decode("latin-1")
    assert any(ch in text for ch in "äöüÄÖÜßéèáíóúñ")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_truth_covers_every_record_exactly_once(feeds):
    root, counts = feeds
    truth = _rows(root, "truth")
    keys = [(t["source_name"], t["source_record_id"]) for t in truth]
    assert len(keys) == len(set(keys))
    written = (
        [("stackjobs", r["applicant_id"]) for r in _rows(root, "stackjobs")]
        + [("eurotalent", r["Kandidat-ID"]) for r in _rows(root, "eurotalent")]
        + [("indeed_apply", d["id"]) for d in _indeed(root)]
        + [("referrals", r["referral_id"]) for r in _rows(root, "referrals")]
        + [("ats_export", r["candidate_id"]) for r in _rows(root, "ats_export")]
        + [("career_site", d["meta"]["id"]) for d in _resumes(root)]
    )
    assert len(written) == len(set(written))
    assert sorted(written) == sorted(keys)
    assert all(t["person_id"].startswith("P") for t in truth)
    assert 1.6 * N <= len(truth) <= 2.0 * N
    assert set(Counter(t["source_name"] for t in truth)) == {
        "stackjobs", "eurotalent", "indeed_apply", "referrals", "ats_export", "career_site"}


def test_a_good_share_of_persons_appear_in_several_sources(feeds):
    root, _ = feeds
    sources: dict[str, set[str]] = {}
    for t in _rows(root, "truth"):
        sources.setdefault(t["person_id"], set()).add(t["source_name"])
    assert len(sources) >= 0.95 * N
    assert sum(len(s) > 1 for s in sources.values()) / len(sources) >= 0.25
    assert max(len(s) for s in sources.values()) <= 4


def test_stackjobs_phones_are_valid_us_region_numbers(feeds):
    root, _ = feeds
    phones = [r["phone"] for r in _rows(root, "stackjobs") if r["phone"].strip()]
    assert len(phones) > 50

    def valid(raw: str) -> bool:
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(raw, "US"))
        except phonenumbers.NumberParseException:
            return False

    assert sum(map(valid, phones)) / len(phones) >= 0.90
    assert len({p for p in phones if p.startswith("+")}) > 0  # foreign numbers written internationally
    assert len({p for p in phones if p.startswith("(")}) > 0  # and US ones in local styles


def test_contact_is_present_and_times_are_past_except_for_the_deliberately_bad_rows(feeds):
    root, _ = feeds
    stack = _rows(root, "stackjobs")
    no_contact = sum(not r["email"].strip() and not r["phone"].strip() for r in stack)
    assert no_contact <= 0.03 * len(stack)
    future = sum(datetime.fromisoformat(r["applied_at"].replace("Z", "+00:00")) > NOW for r in stack)
    assert future <= 0.03 * len(stack)
    assert any(r["email"] != r["email"].strip() or r["email"] != r["email"].lower() for r in stack)


def test_ats_stage_changes_are_chronological_and_in_the_past(feeds):
    root, _ = feeds
    events = _rows(root, "ats_status")
    ats_ids = {r["candidate_id"] for r in _rows(root, "ats_export")}
    by_candidate: dict[str, list[dict]] = {}
    for e in events:
        assert e["candidate_id"] in ats_ids
        assert e["stage"] in STAGES + ["Rejected", "Withdrawn"]
        assert datetime.fromisoformat(e["changed_at"].replace("Z", "+00:00")) < NOW
        by_candidate.setdefault(e["candidate_id"], []).append(e)
    for history in by_candidate.values():
        times = [h["changed_at"] for h in history]
        assert times == sorted(times)
        assert history[0]["stage"] == "Application Review"
        order = [STAGES.index(h["stage"]) for h in history if h["stage"] in STAGES]
        assert order == sorted(order)
        assert all(h["stage"] not in ("Rejected", "Withdrawn") for h in history[:-1])


def test_board_rows_have_the_stackjobs_layout(tmp_path):
    path = tmp_path / "b.csv"
    assert generate_board_rows(path, 5000) == 5000
    text = path.read_text(encoding="utf-8")
    assert text.split("\n", 1)[0] == HEADERS["stackjobs"][3]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 5000
    assert len({r["applicant_id"] for r in rows}) == 5000
    assert len({r["email"].strip().lower() for r in rows if r["email"]}) > 2500
