"""Realistic, seeded Greenhouse candidates and Lever opportunities (shapes as in shared/PROVIDERS.md).

Names with diacritics, personal and work emails, phone formats, LinkedIn among other social
links, several applications per candidate with stages, hires and rejections, referrals credited
to employees, and about 2% invalid rows (a broken email) so validation has work to do.
Fast enough for the 200,000-candidate benchmark: no Faker, plain `random` over small pools.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

FIRST = ["James", "Mary", "Robert", "Jennifer", "Michael", "Linda", "José", "María", "Jürgen", "Zoë",
         "François", "Hélène", "Søren", "Łukasz", "Chloé", "Ángel", "Priya", "Wei", "Aisha", "Oğuz",
         "Elizabeth", "William", "Katherine", "Daniel", "Sofía", "Björn", "Amélie", "Raúl", "Ivana", "Tomáš"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Núñez", "Müller", "Schröder", "Lefèvre", "Côté",
        "Ødegaard", "Wróbel", "Dvořák", "García", "Martínez", "Nguyen", "Patel", "Kim", "O'Brien",
        "Yılmaz", "Sørensen", "Fernández", "Köhler", "Taylor", "Anderson", "Lee", "Chen", "Rossi", "Novák"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella GmbH", "Hooli", "Stark Industries", "Wayne Enterprises",
             "Soylent Ltd", "Vandelay Industries", "Massive Dynamic"]
TITLES = ["Software Engineer", "Senior Data Engineer", "Product Manager", "SRE", "Data Scientist",
          "Frontend Engineer", "Engineering Manager", "QA Engineer"]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "proton.me", "gmx.de", "web.de"]
TAGS = ["senior", "remote-ok", "relocation", "silver-medalist", "boomerang", "sourced"]
JOBS = [(4001, "Senior Backend Engineer"), (4002, "Data Engineer"), (4003, "Frontend Engineer"),
        (4004, "Engineering Manager"), (4005, "Data Scientist")]
STAGES = [(7001, "Application Review"), (7002, "Phone Screen"), (7003, "Face to Face"), (7004, "Offer")]
SOURCES = [(1, "LinkedIn"), (2, "Referral"), (3, "Company Website"), (4, "Indeed")]
REFERRERS = [(9001, "Dana Whitfield", "E1042"), (9002, "Omar Haddad", "E2077"), (9003, "Grace Liu", "E3150")]
US_AREAS = [212, 415, 312, 617, 206, 512, 303, 404]


def iso(ts: datetime) -> str:
    """Greenhouse's timestamp style: 2026-11-01T10:00:00.000Z."""
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def ms(ts: datetime) -> int:
    """Lever's timestamp style: epoch milliseconds."""
    return int(ts.timestamp() * 1000)


def _ascii(s: str) -> str:
    table = str.maketrans("éèêëáàâäíìîïóòôöúùûüñçøåłšžčřěýźżœßğışŁÉÁÖÜÅØ", "eeeeaaaaiiiioooouuuuncoalszcreyzzosgisLEAOUAO")
    return "".join(c for c in s.translate(table).lower() if c.isalpha())


def _phone(rnd: random.Random) -> str:
    area, exchange, line = rnd.choice(US_AREAS), rnd.randint(201, 989), rnd.randint(1000, 9999)
    if exchange % 100 == 11:
        exchange += 1
    return rnd.choice([f"({area}) {exchange}-{line}", f"+1 {area} {exchange} {line}", f"{area}.{exchange}.{line}"])


def _person(rnd: random.Random, i: int) -> dict:
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    handle = f"{_ascii(first)}.{_ascii(last)}{i}"
    email = f"{handle}@{rnd.choice(DOMAINS)}"
    if rnd.random() < 0.02:
        email = email.replace("@", " at ")
    return {"first": first, "last": last, "handle": handle, "email": email, "phone": _phone(rnd),
            "company": rnd.choice(COMPANIES), "title": rnd.choice(TITLES)}


def _application(rnd: random.Random, app_id: int, candidate_id: int, applied: datetime, now: datetime) -> dict:
    job_id, job_name = rnd.choice(JOBS)
    stage_n = rnd.randint(0, len(STAGES) - 1)
    status = rnd.choices(["active", "rejected", "hired"], weights=[70, 22, 8])[0]
    if status == "hired":
        stage_n = len(STAGES) - 1
    last_activity = min(now, applied + timedelta(days=3 * (stage_n + 1), hours=rnd.randint(0, 20)))
    source_id, source_name = rnd.choice(SOURCES)
    referrer = rnd.choice(REFERRERS) if source_name == "Referral" else None
    return {
        "id": app_id, "candidate_id": candidate_id, "prospect": False,
        "applied_at": iso(applied), "last_activity_at": iso(last_activity),
        "rejected_at": iso(last_activity) if status == "rejected" else None,
        "status": status,
        "source": {"id": source_id, "public_name": source_name},
        "credited_to": {"id": referrer[0], "name": referrer[1], "employee_id": referrer[2]} if referrer else None,
        "jobs": [{"id": job_id, "name": job_name}],
        "current_stage": {"id": STAGES[stage_n][0], "name": STAGES[stage_n][1]},
    }


def greenhouse_candidates(n: int, seed: int, now: datetime, first_id: int = 100_001) -> list[dict]:
    """n Harvest candidates with ids from first_id, created and updated before `now`."""
    rnd = random.Random(seed)
    out = []
    app_id = first_id * 10
    for k in range(n):
        cid = first_id + k
        p = _person(rnd, cid)
        created = now - timedelta(days=rnd.randint(2, 400), minutes=rnd.randint(0, 1440))
        apps = []
        for _ in range(rnd.choices([0, 1, 2], weights=[10, 75, 15])[0]):
            app_id += 1
            apps.append(_application(rnd, app_id, cid, created + timedelta(hours=rnd.randint(0, 48)), now))
        updated = max([created] + [datetime.fromisoformat(a["last_activity_at"]) for a in apps])
        socials = [{"value": f"https://twitter.com/{p['handle']}"}] if rnd.random() < 0.3 else []
        if rnd.random() < 0.6:
            socials.append({"value": f"https://www.linkedin.com/in/{p['handle'].replace('.', '-')}"})
        emails = [{"value": p["email"], "type": "personal"}]
        if rnd.random() < 0.3:
            emails.insert(0, {"value": f"{_ascii(p['first'])}@{_ascii(p['company'])}.com", "type": "work"})
        out.append({
            "id": cid, "first_name": p["first"], "last_name": p["last"], "company": p["company"],
            "title": p["title"], "created_at": iso(created), "updated_at": iso(updated),
            "last_activity": iso(updated), "is_private": False, "photo_url": None,
            "email_addresses": emails,
            "phone_numbers": [{"value": p["phone"], "type": rnd.choice(["mobile", "home", "work"])}] if rnd.random() < 0.85 else [],
            "addresses": [{"value": "123 Main St, Springfield", "type": "home"}] if rnd.random() < 0.2 else [],
            "website_addresses": [], "social_media_addresses": socials,
            "tags": rnd.sample(TAGS, rnd.randint(0, 2)),
            "applications": apps, "application_ids": [a["id"] for a in apps],
            "attachments": [], "custom_fields": {},
        })
    return out


LEVER_STAGES = [("lead-new", "New lead"), ("applicant-new", "New applicant"), ("phone-screen", "Phone screen"),
                ("on-site", "On-site interview"), ("offer", "Offer")]
LEVER_ARCHIVE_REASONS = [{"id": "ar-hired", "text": "Hired", "status": "active", "type": "hired"},
                         {"id": "ar-underqualified", "text": "Underqualified", "status": "active", "type": "non-hired"},
                         {"id": "ar-withdrew", "text": "Withdrew", "status": "active", "type": "non-hired"},
                         {"id": "ar-candidate-withdrew", "text": "candidate withdrew ", "status": "active", "type": "non-hired"}]


def lever_opportunities(n: int, seed: int, now: datetime) -> list[dict]:
    """n Lever opportunities; some contacts hold two, some are archived (hired or not), a few old ones lack timestamps."""
    rnd = random.Random(seed)
    out = []
    contacts: list[str] = []
    for k in range(n):
        p = _person(rnd, k)
        if contacts and rnd.random() < 0.1:
            contact = rnd.choice(contacts)
        else:
            contact = str(uuid.UUID(int=rnd.getrandbits(128)))
            contacts.append(contact)
        created = now - timedelta(days=rnd.randint(2, 400), minutes=rnd.randint(0, 1440))
        reached = rnd.randint(1, len(LEVER_STAGES) - 1)
        moves = [min(now, created + timedelta(days=2 * i)) for i in range(reached + 1)]
        changes = [{"toStageId": LEVER_STAGES[i][0], "toStageIndex": i, "userId": "u-1",
                    "updatedAt": ms(moves[i])} for i in range(1, reached + 1)]
        updated = moves[-1]
        old = rnd.random() < 0.03
        archived = None
        if not old and rnd.random() < 0.3:
            reason = "ar-hired" if reached == len(LEVER_STAGES) - 1 and rnd.random() < 0.6 else rnd.choice(
                ["ar-underqualified", "ar-withdrew"])
            updated = min(now, updated + timedelta(days=1))
            archived = {"reason": reason, "archivedAt": ms(updated)}
        links = [f"https://linkedin.com/in/{p['handle'].replace('.', '-')}"] if rnd.random() < 0.6 else []
        out.append({
            "id": str(uuid.UUID(int=rnd.getrandbits(128))), "name": f"{p['first']} {p['last']}",
            "contact": contact, "headline": f"{p['company']}, {p['title']}",
            "stage": LEVER_STAGES[reached][0], "confidentiality": "non-confidential",
            "location": rnd.choice(["San Francisco", "New York", "Berlin", "London", None]),
            "phones": [{"type": rnd.choice(["mobile", "home"]), "value": p["phone"]}] if rnd.random() < 0.8 else [],
            "emails": [p["email"]], "links": links,
            "archived": archived, "tags": rnd.sample(TAGS, rnd.randint(0, 2)),
            "sources": [rnd.choice(["LinkedIn", "Referral", "Careers page"])],
            "origin": rnd.choice(["applied", "referred", "sourced", "agency"]),
            "stageChanges": [] if old else changes,
            "owner": "u-1", "followers": [], "applications": [str(uuid.UUID(int=rnd.getrandbits(128)))],
            "createdAt": None if old else ms(created), "updatedAt": None if old else ms(updated),
            "lastInteractionAt": None if old else ms(updated), "lastAdvancedAt": None if old else ms(updated),
            "isAnonymized": False,
        })
    return out
