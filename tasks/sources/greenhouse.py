"""Greenhouse Harvest: `GET <base_url>/candidates`, Basic auth, `Link rel="next"` paging, `updated_after`.

Candidates land in staging.candidate_records (ats_person_id = the candidate id); each
application becomes stage rows in staging.stage_changes, ids `app:<candidate>:<application>:…`:
`applied` at applied_at, the current stage at last_activity_at (Harvest's candidate carries no
stage-entry time; for a rejected application no later than rejected_at), and `Hired` / `Rejected` when the application's status says so;
a stage the application moved on from stays staged (api.py `_drop_stale_stage_rows`). Harvest has no
list of deleted or merged candidates: deletions are found by the periodic full scan (api.py), and
each candidate it misses is confirmed gone with the `candidate_ids` filter before it is deleted
(one still there is landed as that filter gives it). Pages are numbered, so a deletion while a run
pages moves a candidate onto a page already read: an incremental run lists its filter once more
and lands what it missed (api.py `_catch_up`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import httpx

from tasks.clock import utcnow
from tasks.settings import Settings
from tasks.sources.api import Page, body_sha, first_linkedin, pick_typed, stage_row_prefix
from tasks.sources.http import ApiError, RetryPolicy, get, json_body, served_at
from tasks.sources.registry import SourceConfig

# JSON paths into a Harvest candidate; a `mapping` entry in sources.yaml overrides one.
DEFAULT_MAPPING = {
    "source_record_id": "id",
    "ats_person_id": "id",
    "first_name": "first_name",
    "last_name": "last_name",
    "current_company": "company",
    "current_title": "title",
    "tags": "tags",
}


def _when(stamp: object, zone: str) -> datetime | None:
    """A Harvest ISO 8601 timestamp as an aware datetime; one without an offset is in `zone` (the source's
    timezone, as staging reads it): compared with an aware one it raised TypeError and ended the run."""
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(zone))


def _earliest(zone: str, *stamps: str | None) -> str | None:
    """The earliest of Harvest's ISO 8601 timestamps given; one that does not parse is left out."""
    parsed = [(when, stamp) for stamp in stamps if stamp and (when := _when(stamp, zone)) is not None]
    return min(parsed)[1] if parsed else next((s for s in stamps if s), None)


def _obj(value: object) -> dict:
    """A nested object of a candidate, or {} when Harvest gave something else there (a string, a list,
    null): a field of another shape is read as absent, never as a reason to stop the run."""
    return value if isinstance(value, dict) else {}


def _applications(candidate: dict) -> list[dict]:
    """The candidate's applications that are objects, prospects left out."""
    apps = candidate.get("applications")
    return [a for a in apps if isinstance(a, dict) and not a.get("prospect")] if isinstance(apps, list) else []


def _job(app: dict) -> dict:
    jobs = app.get("jobs")
    return _obj(jobs[0]) if isinstance(jobs, list) and jobs else {}


def _stage(app: dict) -> tuple[object, object]:
    """(id, name) of the application's current stage; a bare name (a string) is its own id."""
    current = app.get("current_stage")
    if isinstance(current, str):
        return (current, current) if current.strip() else (None, None)
    current = _obj(current)
    return current.get("id"), current.get("name")


def _latest_application(candidate: dict, now: datetime, zone: str) -> dict:
    """The latest application, passing over those dated after `now` (a typo: applied 2062) while another is
    not: as the latest it quarantined the whole candidate as applied_at_not_future. Its own stage rows
    are still quarantined (changed_at_not_future)."""
    apps = _applications(candidate)
    dated = [a for a in apps if (when := _when(a.get("applied_at"), zone)) is None or when <= now]
    return max(dated or apps, key=lambda a: str(a.get("applied_at") or ""), default={})


class Greenhouse:
    """Fetches Harvest candidate pages and maps them to canonical fields and stage rows."""

    streams = ("candidates",)
    default_mapping = DEFAULT_MAPPING
    # pages are numbered: a candidate deleted or merged while a run pages moves later ones a page back
    pages_shift = True

    def __init__(self, http: httpx.Client, source: SourceConfig, policy: RetryPolicy, settings: Settings):
        self.http, self.source, self.policy, self.settings = http, source, policy, settings

    def is_delete_stream(self, stream: str) -> bool:
        """Harvest has no deleted-candidates stream."""
        return False

    def deletions(self, candidates: list[dict]) -> list[dict]:
        """Listed candidates that stand for deletions: none (Harvest lists only live candidates)."""
        return []

    def fetch(self, stream: str, since: datetime | None, cursor: str | None) -> Page:
        """One page of candidates: the first (per_page, updated_after) or the `Link rel="next"` URL."""
        if cursor:
            url, params = cursor, None
            base = httpx.URL(self.source.base_url)
            if (httpx.URL(url).scheme, httpx.URL(url).netloc) != (base.scheme, base.netloc):
                # the key goes with every request as Basic auth: a Link elsewhere (or to http://) would be handed it
                origin = f"{base.scheme}://{base.netloc.decode()}"
                raise ApiError(f"{self.source.name}: the next page's URL {url} is not on base_url's host ({origin}): "
                               f"not followed, the API key would go there")
        else:
            url = f"{self.source.base_url.rstrip('/')}/candidates"
            params = {"per_page": self.source.per_page}
            if since is not None:
                # in UTC, as the Z says: a watermark stored with an offset (before served_at gave UTC) is read right
                params["updated_after"] = since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = get(self.http, url, self.source.name, self.policy, params)
        after = response.links.get("next", {}).get("url")
        if after:
            try:  # a relative reference (RFC 8288) is read against the page it came from
                after = str(response.request.url.join(after))
            except httpx.InvalidURL:
                raise ApiError(f"{self.source.name}: {response.request.url} names as its next page a Link that is "
                               f"no URL") from None
        return Page(str(response.request.url), body_sha(response.content), self._candidates(response),
                    after, served_at(response))

    def _candidates(self, response: httpx.Response) -> list:
        """The JSON array of candidates a response holds, or ApiError naming the URL (not the body)."""
        records = json_body(response)
        if not isinstance(records, list):
            raise ApiError(f"{self.source.name}: {response.request.url} did not return a JSON array of candidates")
        return records

    def existing(self, ids: list[str]) -> list[dict]:
        """The candidates of these ids Harvest still has, as it gives them now (`candidate_ids`, 50 per request)."""
        found: list[dict] = []
        for start in range(0, len(ids), 50):
            params = {"candidate_ids": ",".join(ids[start:start + 50]), "per_page": 50}
            response = get(self.http, f"{self.source.base_url.rstrip('/')}/candidates", self.source.name,
                           self.policy, params)
            found += [c for c in self._candidates(response) if isinstance(c, dict) and str(c.get("id")) in ids]
        return found

    def derived_fields(self, candidates: list[dict]) -> dict[str, list]:
        """Fields a JSON path cannot pick: preferred email/phone, the LinkedIn link, the latest application."""
        now = utcnow(self.settings)
        latest = [_latest_application(c, now, self.source.timezone) for c in candidates]
        referred = [a if "referral" in str(_obj(a.get("source")).get("public_name", "")).lower() else {} for a in latest]
        return {
            "email": [pick_typed(c.get("email_addresses"), "personal") for c in candidates],
            "phone": [pick_typed(c.get("phone_numbers"), "mobile") for c in candidates],
            "linkedin_url": [first_linkedin([s.get("value") for s in c.get("social_media_addresses") or []
                                             if isinstance(s, dict)]) for c in candidates],
            "applied_at": [a.get("applied_at") for a in latest],
            "job_id": [_job(a).get("id") for a in latest],
            "job_title": [_job(a).get("name") for a in latest],
            "stage": [_stage(a)[1] for a in latest],
            "referrer_name": [_obj(a.get("credited_to")).get("name") for a in referred],
            "referrer_employee_id": [_obj(a.get("credited_to")).get("employee_id") for a in referred],
        }

    def stage_rows(self, candidates: list[dict]) -> list[dict]:
        """Stage rows for every application of every candidate on the page."""
        rows = []
        for c in candidates:
            for app in _applications(c):
                base = f"{stage_row_prefix(str(c.get('id')))}{app.get('id')}"
                common = {"person_id": c.get("id"), "job_id": _job(app).get("id"), "application_id": app.get("id")}
                rows.append({"id": f"{base}:applied", "stage": "Applied", "changed_at": app.get("applied_at"), **common})
                stage_id, stage_name = _stage(app)
                if stage_name:
                    # a note or an email after a rejection moves last_activity_at, not the stage: the stage
                    # was reached by the rejection at the latest
                    at = _earliest(self.source.timezone, app.get("last_activity_at") or app.get("applied_at"),
                                   app.get("rejected_at") if app.get("status") == "rejected" else None)
                    rows.append({"id": f"{base}:stage:{stage_id}", "stage": stage_name,
                                 "changed_at": at, **common})
                if app.get("status") == "hired":
                    rows.append({"id": f"{base}:hired", "stage": "Hired",
                                 "changed_at": app.get("last_activity_at"), **common})
                elif app.get("status") == "rejected":
                    rows.append({"id": f"{base}:rejected", "stage": "Rejected",
                                 "changed_at": app.get("rejected_at") or app.get("last_activity_at"), **common})
        return rows
