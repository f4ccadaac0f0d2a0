"""A local Lever: /v1/opportunities (limit, offset token, updated_at_start), /v1/opportunities/<id>,
/v1/opportunities/deleted (deleted_at_start), /v1/stages and /v1/archive_reasons, answering {data, next, hasNext}."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from tests.fakes.payloads import LEVER_ARCHIVE_REASONS, LEVER_STAGES, ms
from tests.fakes.server import FakeApi


def _token(index: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"i": index}).encode()).decode()


def _index(token: str | None) -> int:
    return json.loads(base64.urlsafe_b64decode(token.encode()))["i"] if token else 0


class FakeLever(FakeApi):
    """Serves opportunities newest first; old records without updatedAt match no updated_at_start filter."""

    def __init__(self, opportunities: list[dict], api_key: str = "lv-test-key-81d2"):
        super().__init__(api_key)
        self.opportunities = {o["id"]: o for o in opportunities}
        self.deleted: list[dict] = []

    def update(self, opportunity_id: str, at: datetime, **fields) -> None:
        self.opportunities[opportunity_id].update(fields, updatedAt=ms(at))

    def delete(self, opportunity_id: str, at: datetime) -> None:
        del self.opportunities[opportunity_id]
        self.deleted.append({"id": opportunity_id, "deletedAt": ms(at)})

    def _page(self, items: list[dict], query: dict) -> tuple[int, dict, bytes]:
        limit = min(int(query.get("limit", 100)), 100)
        start = _index(query.get("offset"))
        chunk = items[start:start + limit]
        more = start + limit < len(items)
        body = {"data": chunk, "hasNext": more, **({"next": _token(start + limit)} if more else {})}
        return 200, {}, json.dumps(body).encode()

    def is_lookup(self, path: str, query: dict) -> bool:
        return path.startswith("/v1/opportunities/") and path != "/v1/opportunities/deleted"

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        if path == "/v1/opportunities":
            since = int(query["updated_at_start"]) if "updated_at_start" in query else None
            items = sorted((o for o in self.opportunities.values()
                            if since is None or (o["updatedAt"] is not None and o["updatedAt"] >= since)),
                           key=lambda o: (-(o["createdAt"] or 0), o["id"]))
            return self._page(items, query)
        if path == "/v1/opportunities/deleted":
            since = int(query.get("deleted_at_start", 0))
            return self._page([d for d in self.deleted if d["deletedAt"] >= since], query)
        if path.startswith("/v1/opportunities/"):
            found = self.opportunities.get(path.rsplit("/", 1)[1])
            return (200, {}, json.dumps({"data": found}).encode()) if found else (404, {}, b'{"code": "NotFound"}')
        if path == "/v1/archive_reasons":
            return self._page(LEVER_ARCHIVE_REASONS, query)
        if path == "/v1/stages":
            return self._page([{"id": i, "text": t} for i, t in LEVER_STAGES], query)
        return 404, {}, b'{"message": "not found"}'
