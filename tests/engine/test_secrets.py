"""One list of credential headers serves the client, the cassettes and the reports."""

import httpx

from chatconform.contracts import load_contract
from chatconform.engine.client import REDACTED, send
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.secrets import is_secret_header
from chatconform.recording.redact import is_secret_header as cassette_rule
from chatconform.report.evaluation import _is_secret_header as report_rule


def test_vendor_key_headers_never_reach_the_sent_request_record() -> None:
    probe = Probe(
        id="t",
        area="response",
        title="t",
        request=RequestSpec(body={}, headers={"X-Goog-Api-Key": "g-secret", "X-Request-Id": "r"}),
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with httpx.Client(transport=transport) as client:
        exchange = send(client, load_contract("openai-compatible"), probe, api_key="k-secret",
                        base_url="http://test/v1")  # fmt: skip
    assert exchange.request.headers["x-goog-api-key"] == REDACTED
    assert exchange.request.headers["authorization"] == REDACTED
    assert exchange.request.headers["x-request-id"] == "r"


def test_cassettes_and_reports_use_the_same_rule() -> None:
    names = ["Authorization", "Set-Cookie", "X-Api-Token", "x-ratelimit-remaining-tokens",
             "X-Request-Id", "WWW-Authenticate", "Content-Type"]  # fmt: skip
    expected = [True, True, True, False, False, False, False]
    assert [is_secret_header(n) for n in names] == expected
    assert [cassette_rule(n) for n in names] == expected
    assert [report_rule(n, "v") for n in names] == expected
