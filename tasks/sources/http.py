"""The one HTTP retry policy for API sources, and how their keys are found.

429 (and a 503 with one) waits for `Retry-After`; 5xx, timeouts and connection errors retry with exponential backoff
up to `api_max_attempts`, then fail naming the source and URL; 401/403 fail at once. The key is
sent as Basic auth (key as user, blank password, as Greenhouse and Lever expect) and never
appears in a URL, a log line or an error message; nor does an error response's body, which may
quote the candidate data the API holds.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from tasks.pii import MaskedError
from tasks.settings import Settings
from tasks.sources.registry import SourceConfig

log = logging.getLogger(__name__)


class ApiError(MaskedError, RuntimeError):
    """An API source could not be read; the message names the source and the URL (masked: a URL may hold an address)."""


class ApiAuthError(ApiError):
    """The API refused the key (401/403); retrying cannot help."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, how long to back off, and the longest Retry-After honoured."""

    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0
    timeout_s: float = 30.0
    request_max_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "RetryPolicy":
        """The policy configured by the CANDOR_API_* settings."""
        return cls(settings.api_max_attempts, settings.api_backoff_base_s, settings.api_backoff_max_s,
                   settings.api_max_retry_after_s, settings.api_timeout_s, settings.api_request_max_s)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))


def _prefect_location() -> str:
    """The Prefect API a run talks to, or the home of the embedded one (where Secret blocks are stored)."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    return str(current.api.url or current.home)


def api_key(source: SourceConfig) -> str:
    """Reads the source's key from its environment variable or Prefect Secret block; never logs it."""
    if source.api_key_env:
        where = f"environment variable {source.api_key_env} (api_key_env)"
        key = os.environ.get(source.api_key_env, "").strip()
        if not key:
            raise ApiAuthError(f"{source.name}: {where} is not set")
    else:
        where = f"Prefect Secret {source.api_key_secret!r} (api_key_secret)"
        key = _secret_key(source)
        if not key:
            raise ApiAuthError(f"{source.name}: Prefect Secret {source.api_key_secret!r} is empty")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are no text (a variable set from a mis-encoded paste): httpx's
        # UnicodeEncodeError would hold the whole key, and Prefect pickles the error that fails a run to disk
        raise ApiAuthError(f"{source.name}: the key in {where} holds bytes that are not UTF-8 text; "
                           "set it again") from None
    return key


def _secret_key(source: SourceConfig) -> str:
    """The value of the source's Prefect Secret block, stripped."""
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(source.api_key_secret).get()).strip()
    except Exception as exc:  # Prefect raises ValueError/ObjectNotFound/connection errors alike
        # only the type of an unforeseen error: its text might hold what the block stores
        missing = isinstance(exc, ValueError) and str(exc).startswith("Unable to find block document named")
        reason = (f"no Secret block of that name in the Prefect at {_prefect_location()}; save one there: "
                  f"Secret(value=...).save({source.api_key_secret!r}) (README, ATS APIs)" if missing else type(exc).__name__)
        raise ApiAuthError(
            f"{source.name}: cannot read Prefect Secret {source.api_key_secret!r} (api_key_secret): {reason}"
        ) from None


def client(source: SourceConfig, key: str, policy: RetryPolicy) -> httpx.Client:
    """An httpx client for the source: Basic auth with the key, the policy's timeout."""
    return httpx.Client(auth=(key, ""), timeout=policy.timeout_s, headers={"Accept": "application/json"},
                        follow_redirects=False)


def json_body(response: httpx.Response) -> object:
    """The response's JSON, or None when its body is not JSON. Never raises: a JSONDecodeError holds the
    whole body (a truncated page of candidates), and the exception that ends a flow run is pickled under
    PREFECT_HOME and printed with its traceback."""
    try:
        return response.json()
    except ValueError:
        return None


def served_at(response: httpx.Response) -> datetime | None:
    """The answer's Date header: when it was sent, on the API's clock, in UTC (None without a readable one)."""
    try:
        sent = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None
    # in UTC: one written with an offset (+0100) became a run's start as it was, and Greenhouse's updated_after
    # wrote its wall time with a Z, an hour late
    return sent.astimezone(timezone.utc) if sent.tzinfo else None


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), if it has one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    # An HTTP date is on the API's clock: counted from its Date header, a clock of the API's that runs
    # ahead (or Candor's, frozen by CANDOR_NOW) asks for no longer wait. This is a real wait, not a
    # business time, so without a Date header it is counted from this machine's clock, never the frozen one.
    sent = served_at(response) or datetime.now(timezone.utc)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # HTTP dates are GMT; one written with -0000 parses without a zone
    return max(0.0, ((at if at.tzinfo else at.replace(tzinfo=timezone.utc)) - sent).total_seconds())


class _Overdue(Exception):
    """A request went on longer than the policy's request_max_s."""


def _fetch(http: httpx.Client, url: str, params: dict | None, policy: RetryPolicy) -> httpx.Response:
    """One GET, its body read within request_max_s of its start (httpx's timeout bounds each wait for
    bytes, not the whole: a server sending a byte every few seconds would hold a run for hours)."""
    deadline = time.monotonic() + policy.request_max_s
    with http.stream("GET", url, params=params) as streamed:
        body = bytearray()
        for chunk in streamed.iter_raw():
            body += chunk
            if time.monotonic() > deadline:
                raise _Overdue
        # decoded (gzip…) from its headers as a response read at once would be
        return httpx.Response(streamed.status_code, headers=streamed.headers, content=bytes(body),
                              request=streamed.request)


def get(http: httpx.Client, url: str, source: str, policy: RetryPolicy, params: dict | None = None,
        missing_ok: bool = False) -> httpx.Response:
    """GETs `url` under the retry policy; returns the 2xx (or, with missing_ok, 404) response or raises ApiError/ApiAuthError."""
    shown = str(httpx.URL(url, params=params)) if params else url
    last = ""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            response = _fetch(http, url, params, policy)
        except httpx.TimeoutException:
            last, wait = f"timed out after {policy.timeout_s:g} s", policy.backoff(attempt)
        except _Overdue:
            last, wait = f"answer not read in {policy.request_max_s:g} s (CANDOR_API_REQUEST_MAX_S)", policy.backoff(attempt)
        except httpx.TransportError as exc:
            last, wait = f"connection error ({type(exc).__name__})", policy.backoff(attempt)
        else:
            status = response.status_code
            if status < 300 or (status == 404 and missing_ok):
                return response
            if status in (401, 403):
                raise ApiAuthError(f"{source}: HTTP {status} from {shown}: the API key was refused; "
                                   f"check the key named by api_key_env/api_key_secret")
            # Retry-After on a 503 (RFC 9110) says how long the service expects to be down: waited for as on a 429
            after = _retry_after(response) if status in (429, 503) else None
            if status == 429 or after is not None:
                wait = policy.backoff(attempt) if after is None else after
                if wait > policy.max_retry_after_s:
                    raise ApiError(f"{source}: HTTP {status} from {shown}: Retry-After {wait:.0f} s is longer than "
                                   f"CANDOR_API_MAX_RETRY_AFTER_S={policy.max_retry_after_s:g}")
                last = f"HTTP {status} ({'rate limited' if status == 429 else 'unavailable'}, Retry-After {wait:g} s)"
            elif status >= 500:
                last, wait = f"HTTP {status}", policy.backoff(attempt)
            elif 300 <= status < 400 and response.headers.get("Location"):
                # said as a redirect (an http:// base_url moved to https://), not as a refusal; where to, without its
                # query or user part, which may hold a token
                to = httpx.URL(url).join(response.headers["Location"]).copy_with(query=None, fragment=None, userinfo=b"")
                raise ApiError(f"{source}: HTTP {status} from {shown}: a redirect to {to}, not followed (the API key "
                               f"would go with it); point base_url at where it leads")
            else:
                raise ApiError(f"{source}: HTTP {status} from {shown}: the API refused the request (its "
                               f"{len(response.content)}-byte answer is not repeated: it may quote candidate data)")
        if attempt < policy.max_attempts:
            log.warning("%s: %s from %s; retry %d of %d in %.2f s", source, last, shown, attempt,
                        policy.max_attempts - 1, wait)
            time.sleep(wait)
    raise ApiError(f"{source}: gave up on {shown} after {policy.max_attempts} attempts; last: {last}")
