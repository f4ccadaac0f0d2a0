"""Lever: `GET <base_url>/opportunities` with the `next` offset token and `updated_at_start` (epoch ms),
plus `GET <base_url>/opportunities/deleted` (`deleted_at_start`) for deletions. Basic auth.

An opportunity lands in staging.candidate_records under its own id with ats_person_id = its
`contact` (one person may hold several opportunities). Each entry of `stageChanges` becomes a
stage row `app:<opportunity>:<n>` with the stage's name (from `<base_url>/stages`); an old
opportunity without stageChanges gets one row for its current stage; an archived one gets a row
`app:<opportunity>:archived` at archivedAt, `Hired` when its archive reason is of type hired
(`<base_url>/archive_reasons`), the reason's name when config/stages.yaml maps that name to
withdrew (`Withdrew`), else `Archived`; a restored one loses that row again (api.py
`_drop_stale_stage_rows`). A deleted opportunity is a raw op='delete' row and leaves staging with
its stage rows; so does one Lever anonymized (`isAnonymized`: a GDPR request or a retention policy
blanked its personal fields), which Lever goes on listing: its blanked version is never landed.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from tasks.journey.stages import load_stage_map
from tasks.settings import Settings
from tasks.sources.api import Page, body_sha, first_linkedin, pick_typed, stage_row_prefix
from tasks.sources.http import ApiError, RetryPolicy, get, json_body, served_at
from tasks.sources.registry import SourceConfig

# JSON paths into a Lever opportunity; a `mapping` entry in sources.yaml overrides one.
DEFAULT_MAPPING = {
    "source_record_id": "id",
    "ats_person_id": "contact",
    "full_name": "name",
    "city": "location",
    "tags": "tags",
    "applied_at": "createdAt",
}
MAX_LIMIT = 100  # Lever's page size cap


def _text_or_none(value: object) -> str | None:
    """An id as Lever gives it (text), or None for a value of another shape (a list, an object)."""
    return value if isinstance(value, str) else None


class Lever:
    """Fetches Lever opportunity and deleted-opportunity pages and maps them."""

    streams = ("opportunities", "deleted")
    default_mapping = DEFAULT_MAPPING
    pages_shift = False  # the `next` token is an offset into a stable listing

    def __init__(self, http: httpx.Client, source: SourceConfig, policy: RetryPolicy, settings: Settings):
        self.http, self.source, self.policy, self.settings = http, source, policy, settings
        self._stage_names: dict[str, str] | None = None
        self._archive_stages: dict[str, str] | None = None

    def is_delete_stream(self, stream: str) -> bool:
        """The `deleted` stream lists deleted opportunities."""
        return stream == "deleted"

    def deletions(self, opportunities: list[dict]) -> list[dict]:
        """Listed opportunities that stand for deletions -> their delete payloads: the anonymized ones."""
        # the payload names no personal field: raw keeps it for good
        return [{"id": str(o.get("id")), "isAnonymized": True} for o in opportunities if o.get("isAnonymized") is True]

    def _get(self, path: str, params: dict) -> tuple[httpx.Response, dict]:
        url = f"{self.source.base_url.rstrip('/')}/{path}"
        response = get(self.http, url, self.source.name, self.policy, params)
        body = json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ApiError(f"{self.source.name}: {response.request.url} did not return {{data: [...]}}")
        return response, body

    def fetch(self, stream: str, since: datetime | None, cursor: str | None) -> Page:
        """One page of opportunities (updated_at_start) or deleted opportunities (deleted_at_start)."""
        params: dict = {"limit": min(self.source.per_page, MAX_LIMIT)}
        if since is not None:
            params["deleted_at_start" if stream == "deleted" else "updated_at_start"] = int(since.timestamp() * 1000)
        if cursor:
            params["offset"] = cursor
        response, body = self._get("opportunities/deleted" if stream == "deleted" else "opportunities", params)
        return Page(str(response.request.url), body_sha(response.content), body["data"],
                    self._next_token(response, body), served_at(response))

    def _next_token(self, response: httpx.Response, body: dict) -> str | None:
        """The page's `next` token, None on the last page; ApiError for `hasNext` without a token: read as the last
        page, a run completed and its watermark moved past the pages never asked for (a stages listing cut short
        staged stage ids as stage names)."""
        if not body.get("hasNext"):
            return None
        if not (isinstance(body.get("next"), str) and body["next"]):
            raise ApiError(f"{self.source.name}: {response.request.url} says hasNext but gives no next token: the "
                           f"pages after it cannot be asked for; stopped there")
        return body["next"]

    def _listing(self, path: str) -> list[dict]:
        """Every item of a small paged list (stages, archive reasons)."""
        items, offset, asked = [], None, set()
        while True:
            response, body = self._get(path, {"limit": MAX_LIMIT, **({"offset": offset} if offset else {})})
            items += [i for i in body["data"] if isinstance(i, dict) and "id" in i]
            offset = self._next_token(response, body)
            if not offset:
                return items
            if offset in asked:  # a listing whose paging goes round was read for ever
                raise ApiError(f"{self.source.name}: {response.request.url} gives as its next page {offset}, which "
                               f"was asked for already: the API's paging goes round in a loop")
            asked.add(offset)

    def stage_names(self) -> dict[str, str]:
        """Stage id -> name, read once per run from <base_url>/stages."""
        if self._stage_names is None:
            self._stage_names = {s["id"]: s.get("text") or s["id"] for s in self._listing("stages")}
        return self._stage_names

    def archive_stages(self) -> dict[str, str]:
        """Archive reasons (<base_url>/archive_reasons) -> {reason id: the stage it ends in}.

        `Hired` for reasons of type hired; a non-hired reason whose name config/stages.yaml maps to
        withdrew keeps its name (a candidate who withdrew was not rejected); any other is `Archived`.
        """
        if self._archive_stages is None:
            stage_map = load_stage_map(self.settings.config_dir)
            self._archive_stages = {}
            for reason in self._listing("archive_reasons"):
                name = str(reason.get("text") or "").strip()
                self._archive_stages[reason["id"]] = (
                    "Hired" if reason.get("type") == "hired"
                    else name if stage_map.get(name.casefold()) == "withdrew" else "Archived")
        return self._archive_stages

    def _stage_name(self, stage: object) -> str | None:
        if isinstance(stage, dict):  # `expand=stage` shape
            return stage.get("text") or stage.get("id")
        # a stage id is text; anything else (a list, say) names no stage: the stage row is quarantined as stage_present
        return self.stage_names().get(stage, stage) if isinstance(stage, (str, int)) and stage else None

    def existing(self, ids: list[str]) -> list[dict]:
        """The opportunities of these ids Lever still has, as it gives them now (`GET opportunities/<id>`, 404 = gone)."""
        found = []
        for opportunity_id in ids:
            response = get(self.http, f"{self.source.base_url.rstrip('/')}/opportunities/{opportunity_id}",
                           self.source.name, self.policy, None, missing_ok=True)
            if response.status_code != 404:
                body = json_body(response)
                if body is None:
                    raise ApiError(f"{self.source.name}: {response.request.url} did not return JSON")
                found.append(body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict)
                             else {"id": opportunity_id})
        return found

    def derived_fields(self, opportunities: list[dict]) -> dict[str, list]:
        """Fields a JSON path cannot pick: the first email given, the mobile phone first, the LinkedIn link, the stage's name."""
        return {
            # the first entry that is text and not blank: `emails[0]` took a null or blank first entry as no email
            "email": [next((e for e in (o.get("emails") if isinstance(o.get("emails"), list) else [])
                            if isinstance(e, str) and e.strip()), None) for o in opportunities],
            "phone": [pick_typed(o.get("phones"), "mobile") for o in opportunities],
            "linkedin_url": [first_linkedin(o.get("links") or []) for o in opportunities],
            "stage": [self._stage_name(o.get("stage")) for o in opportunities],
        }

    def stage_rows(self, opportunities: list[dict]) -> list[dict]:
        """Stage rows from each opportunity's stageChanges (or its current stage when it has none)."""
        rows = []
        for o in opportunities:
            prefix = stage_row_prefix(str(o.get("id")))
            common = {"person_id": o.get("contact"), "job_id": None, "opportunity_id": o.get("id")}
            changes = [c for c in o.get("stageChanges") or [] if isinstance(c, dict)]
            for n, change in enumerate(changes):
                rows.append({"id": f"{prefix}{n}", "stage": self._stage_name(change.get("toStageId")),
                             "changed_at": change.get("updatedAt"), **common})
            at = o.get("updatedAt") or o.get("createdAt")
            if not changes and o.get("stage") and at:
                rows.append({"id": f"{prefix}current", "stage": self._stage_name(o.get("stage")), "changed_at": at, **common})
            archived = o.get("archived") if isinstance(o.get("archived"), dict) else {}
            if archived.get("archivedAt"):
                rows.append({"id": f"{prefix}archived", "changed_at": archived["archivedAt"],
                             "stage": self.archive_stages().get(_text_or_none(archived.get("reason")), "Archived"), **common})
        return rows
