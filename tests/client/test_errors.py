"""Error bodies of every shape map onto the exception tree (pure)."""

from __future__ import annotations

import pytest

from pipeflow_nb.client._errors import error_from_response, error_message
from pipeflow_nb.errors import (
    APIError,
    BadRequestError,
    InsufficientCreditsError,
    PayloadTooLargeError,
    PipelineValidationError,
    RateLimitError,
    ServerError,
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "Workflow is not active"}, "Workflow is not active"),
        ({"error": {"type": "invalid", "message": "nested one", "code": 400}}, "nested one"),
        ({"message": "plain message"}, "plain message"),
        ({"detail": "fastapi detail"}, "fastapi detail"),
        ({"detail": [{"loc": ["body", "inputs"], "msg": "not a dict"}]}, "inputs: not a dict"),
        ("  <html>oops</html> ", "<html>oops</html>"),
        ("", "bad request"),
        ({}, "bad request"),
        ({"data": {"error": "enveloped"}}, "enveloped"),
    ],
)
def test_message_from_any_shape(body: object, message: str) -> None:
    assert error_message(400, body) == message


def test_status_classes_and_request_id() -> None:
    headers = {"x-request-id": "r1"}
    err = error_from_response(400, headers, {"error": "Workflow is not active"})
    assert isinstance(err, BadRequestError) and isinstance(err, ValueError)
    assert str(err) == "400: Workflow is not active (request r1)"
    assert isinstance(error_from_response(413, {}, {"error": "big"}), PayloadTooLargeError)
    assert isinstance(error_from_response(503, {}, "down"), ServerError)
    assert type(error_from_response(451, {}, {"error": "legal"})) is APIError


def test_rate_limit_reads_header_then_body() -> None:
    err = error_from_response(429, {"retry-after": "4"}, {"error": "slow"})
    assert isinstance(err, RateLimitError) and err.retry_after == 4
    nested = error_from_response(429, {}, {"error": {"message": "slow", "retryAfter": 2}})
    assert isinstance(nested, RateLimitError) and nested.retry_after == 2


def test_credits_from_fields_or_message() -> None:
    err = error_from_response(402, {}, {"error": "Insufficient credits. Required: 7, Available: 2"})
    assert isinstance(err, InsufficientCreditsError)
    assert (err.required, err.available, err.breakdown) == (7, 2, [])


def test_422_without_violations_still_explains() -> None:
    err = error_from_response(422, {}, {"detail": [{"loc": ["body", "nodes"], "msg": "required"}]})
    assert isinstance(err, PipelineValidationError)
    assert err.rules == ["bad_request"] and "nodes: required" in str(err)
    odd = error_from_response(422, {}, {"error": "bad", "violations": ["just text"]})
    assert isinstance(odd, PipelineValidationError) and odd.violations[0].message == "just text"
