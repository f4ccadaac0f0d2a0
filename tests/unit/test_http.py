"""The one HTTP retry policy on its own: connection errors, over-long Retry-After, other 4xx."""

from __future__ import annotations

import json
import socket
import time
from email.utils import formatdate

import httpx
import pytest

from tasks.sources.http import ApiError, RetryPolicy, get
from tests.fakes.greenhouse import FakeGreenhouse

POLICY = RetryPolicy(max_attempts=3, backoff_base_s=0.01, timeout_s=1.0, max_retry_after_s=5)


def test_connection_errors_retry_then_fail_naming_source_and_url():
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1/candidates"
    with httpx.Client() as http, pytest.raises(ApiError) as exc:
        get(http, url, "greenhouse", POLICY, {"per_page": 5})
    assert str(exc.value) == (f"greenhouse: gave up on {url}?per_page=5 after 3 attempts; "
                              "last: connection error (ConnectError)")


def test_retry_after_longer_than_allowed_fails_at_once_and_other_4xx_are_not_retried():
    with FakeGreenhouse([]) as gh, httpx.Client(auth=(gh.api_key, "")) as http:
        gh.script = [(429, {"Retry-After": "3600"})]
        with pytest.raises(ApiError, match="Retry-After 3600 s is longer than CANDOR_API_MAX_RETRY_AFTER_S=5"):
            get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY)
        with pytest.raises(ApiError, match="greenhouse: HTTP 404 from .*/v1/nothing"):
            get(http, f"{gh.url}/v1/nothing", "greenhouse", POLICY)
        assert len(gh.requests) == 2
        assert get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY).json() == []


def test_a_retry_after_date_is_a_wait_on_the_apis_clock():
    # Retry-After: <HTTP date> is dated by the API's clock, as its Date header is: taken from this machine's
    # clock (or from CANDOR_NOW, frozen by a test or a replay) an API an hour ahead asked for an hour's wait,
    # one frozen in 2020 for years, and the source failed
    api_now = time.time() + 3600
    with FakeGreenhouse([]) as gh, httpx.Client(auth=(gh.api_key, "")) as http:
        gh.script = [(429, {"Date": formatdate(api_now, usegmt=True), "Retry-After": formatdate(api_now + 1, usegmt=True)})]
        started = time.monotonic()
        assert get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY).json() == []
        assert 0.5 <= time.monotonic() - started < 4
        assert len(gh.requests) == 2


def test_an_error_response_quoting_candidate_data_is_named_but_not_repeated():
    # an API that refuses a request may quote what it holds: the body reaches logs, meta, the CLI and
    # Prefect's state message through the error, so the error names source, status and URL, not the body
    body = json.dumps({"errors": [{"message": "candidate Zelda Quixote <zelda.quixote@example.com>, "
                                              "(415)555-2671, 12 Harbour Lane is a duplicate"}]}).encode()
    with FakeGreenhouse([]) as gh, httpx.Client(auth=(gh.api_key, "")) as http:
        gh.script = [(422, {}, body)]
        with pytest.raises(ApiError) as exc:
            get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY, {"per_page": 5})
    message = str(exc.value)
    assert message.startswith(f"greenhouse: HTTP 422 from {gh.url}/v1/candidates?per_page=5: ")
    for value in ("Zelda", "Quixote", "zelda.quixote@example.com", "555-2671", "Harbour"):
        assert value not in message


def test_a_503_asking_to_come_back_later_is_waited_for_or_given_up_on_like_a_429():
    # RFC 9110: Retry-After on a 503 says how long the service expects to be down; the backoff (0.01 s
    # doubling here) spent every attempt inside that time and the source failed
    with FakeGreenhouse([]) as gh, httpx.Client(auth=(gh.api_key, "")) as http:
        gh.script = [(503, {"Retry-After": "1"})]
        started = time.monotonic()
        assert get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY).json() == []
        assert 0.9 <= time.monotonic() - started < 4 and len(gh.requests) == 2
        gh.script = [(503, {"Retry-After": "7200"})]  # maintenance for two hours: no point hammering it
        with pytest.raises(ApiError, match="HTTP 503 from .*: Retry-After 7200 s is longer than "
                                           "CANDOR_API_MAX_RETRY_AFTER_S=5"):
            get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY)
        assert len(gh.requests) == 3


def test_a_redirect_is_named_as_one_with_where_it_points_and_not_followed():
    # a base_url on http:// that the API moves to https:// (or a moved endpoint) answered 301, reported as "the API
    # refused the request": nothing said it was a redirect, nor where to, so the fix (base_url) was guesswork
    with FakeGreenhouse([]) as gh, httpx.Client(auth=(gh.api_key, "")) as http:
        gh.script = [(301, {"Location": "https://harvest.example/v1/candidates"}, b"")]
        with pytest.raises(ApiError) as exc:
            get(http, f"{gh.url}/v1/candidates", "greenhouse", POLICY)
        assert str(exc.value) == (f"greenhouse: HTTP 301 from {gh.url}/v1/candidates: a redirect to "
                                  f"https://harvest.example/v1/candidates, not followed (the API key would go with it); "
                                  f"point base_url at where it leads")
        assert len(gh.requests) == 1
