"""A threaded HTTP server on 127.0.0.1 (random port) with Basic auth and injectable faults.

Faults: `script` is a queue consumed one per request before the normal answer — an int status
(e.g. 500, 401), a (status, headers) pair (e.g. (429, {"Retry-After": "1"})), a (status, headers,
body) triple (an error whose body quotes what the API was given), ("sleep", s) to
answer only after s seconds (a client timeout), or ("trickle", s) to send the normal answer's body
a few bytes every s seconds (a server that never pauses long enough for a read timeout). `break_after_pages = N` answers 500 to every
request after N successful ones (a provider that fails permanently mid-run). `garbled_lookups`
answers every look-up by id with GARBLED, 200 and a body cut off mid-record. `after_page(n)`,
if set, runs after the n-th successful answer (data changing while a client pages). `clock_offset_s`
sets the API's clock (its `Date` header) ahead of this machine's, or behind when negative.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# a candidate cut off mid-record (a connection dropped behind a proxy that had already sent 200)
GARBLED = b'[{"id": 1, "first_name": "Zelda", "last_name": "Quixote", "emails": [{"value": "zel'


class FakeApi:
    """Base fake: subclasses implement `answer(path, query) -> (status, headers, body)`."""

    def __init__(self, api_key: str):
        self.api_key = api_key
        self.script: list = []
        self.break_after_pages: int | None = None
        self.pages_served = 0
        self.after_page = None
        self.garbled_lookups = False
        self.host: str | None = None  # the Host header of the latest request
        self.clock_offset_s = 0.0  # the API's clock minus this machine's (its Date header and nothing else)
        self.requests: list[tuple[str, dict, float, int]] = []  # (path, query, time, status)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeApi":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _authorized(self, header: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        return header == expected

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        self.host = request.headers.get("Host")  # as a real API, links name the host the client asked
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            fault = self.script.pop(0) if self.script else None
            broken = self.break_after_pages is not None and self.pages_served >= self.break_after_pages
        headers: dict[str, str] = {}
        trickle = None
        if isinstance(fault, tuple) and fault[0] == "sleep":
            time.sleep(fault[1])
            fault = None
        elif isinstance(fault, tuple) and fault[0] == "trickle":
            trickle, fault = fault[1], None
        if isinstance(fault, int):
            status, body = fault, json.dumps({"message": f"injected {fault}"}).encode()
        elif isinstance(fault, tuple):
            status, headers, body = fault[0], dict(fault[1]), fault[2] if len(fault) > 2 else json.dumps(
                {"message": "injected"}).encode()
        elif self.garbled_lookups and self.is_lookup(parts.path, query):
            status, body = 200, GARBLED
        elif broken:
            status, body = 500, b'{"message": "internal error"}'
        elif not self._authorized(request.headers.get("Authorization")):
            status, body = 401, b'{"message": "Invalid Basic Auth credentials"}'
        else:
            status, headers, body = self.answer(parts.path, query)
            if status == 200:
                with self._lock:
                    self.pages_served += 1
                    if self.after_page:
                        self.after_page(self.pages_served)
        with self._lock:
            self.requests.append((parts.path, query, time.monotonic(), status))
        try:
            request.send_response_only(status)  # Server and Date as send_response sends them, Date on the API's clock
            request.send_header("Server", request.version_string())
            request.send_header("Date", headers.pop("Date", None) or formatdate(time.time() + self.clock_offset_s, usegmt=True))
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                request.send_header(name, value)
            request.end_headers()
            if trickle is None:
                request.wfile.write(body)
            for start in range(0, len(body), 8) if trickle is not None else ():
                request.wfile.write(body[start:start + 8])
                request.wfile.flush()
                time.sleep(trickle)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        raise NotImplementedError

    def is_lookup(self, path: str, query: dict) -> bool:
        """Whether the request asks for records by id (a full scan's check before deleting)."""
        raise NotImplementedError

    def data_requests(self, path: str) -> list[dict]:
        """Queries of the successful requests to `path`, in order."""
        return [q for p, q, _, status in self.requests if p == path and status == 200]
