"""A local Greenhouse Harvest: GET /v1/candidates with per_page, page, updated_after, candidate_ids and Link paging."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

from tests.fakes.payloads import iso
from tests.fakes.server import FakeApi


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class FakeGreenhouse(FakeApi):
    """Serves candidates ordered by id; `updated_after` is inclusive; per_page is capped at 500."""

    def __init__(self, candidates: list[dict], api_key: str = "gh-test-key-3f9a"):
        super().__init__(api_key)
        self.candidates = {c["id"]: c for c in candidates}
        self._json: dict[int, str] = {}
        self._filtered: dict[str | None, list[int]] = {}

    def update(self, candidate_id: int, at: datetime, **fields) -> None:
        """Changes a candidate as a recruiter would: new field values and updated_at = at."""
        self.candidates[candidate_id].update(fields, updated_at=iso(at))
        self._json.pop(candidate_id, None)
        self._filtered.clear()

    def add(self, candidate: dict) -> None:
        self.candidates[candidate["id"]] = candidate
        self._filtered.clear()

    def delete(self, candidate_id: int) -> None:
        """Deletes (or merges away) a candidate: it is no longer listed."""
        del self.candidates[candidate_id]
        self._json.pop(candidate_id, None)
        self._filtered.clear()

    def _ids(self, updated_after: str | None) -> list[int]:
        if updated_after not in self._filtered:
            since = _ts(updated_after) if updated_after else None
            self._filtered[updated_after] = sorted(
                cid for cid, c in self.candidates.items() if since is None or _ts(c["updated_at"]) >= since)
        return self._filtered[updated_after]

    def is_lookup(self, path: str, query: dict) -> bool:
        return "candidate_ids" in query

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        if path != "/v1/candidates":
            return 404, {}, b'{"message": "not found"}'
        per_page = min(int(query.get("per_page", 100)), 500)
        page = int(query.get("page", 1))
        ids = self._ids(query.get("updated_after"))
        if "candidate_ids" in query:
            wanted = {int(i) for i in query["candidate_ids"].split(",")}
            ids = [i for i in ids if i in wanted]
        chunk = ids[(page - 1) * per_page: page * per_page]
        for cid in chunk:
            if cid not in self._json:
                self._json[cid] = json.dumps(self.candidates[cid])
        headers = {}
        if page * per_page < len(ids):
            params = {k: v for k, v in query.items() if k != "page"}
            headers["Link"] = f'<{f"http://{self.host}" if self.host else self.url}/v1/candidates?{urlencode({**params, "page": page + 1})}>; rel="next"'
        return 200, headers, ("[" + ",".join(self._json[c] for c in chunk) + "]").encode()
