"""Schema-driven fuzzing: schemathesis against /api/v1/openapi.json finds no 500s and no
responses that break the documented schema (bounded by a fixed number of examples)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pipeflow_nb.server import create_app
from tests.server.nodes import make_registry

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    home: Path = tmp_path_factory.mktemp("fuzz-home")
    app = create_app(home, registry=make_registry(), max_workers=1)
    yield app
    app.state.pipeflow.close()


@pytest.fixture(scope="module")
def fuzz_key(fuzz_app: FastAPI) -> str:
    key, _ = fuzz_app.state.pipeflow.store.keys.create(
        plan="enterprise", credits=10**9, requests_per_min=10**9, executions_per_min=10**9
    )
    return key


def test_no_server_errors_and_responses_match_the_schema(fuzz_app: FastAPI, fuzz_key: str) -> None:
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 18
    headers = {"Authorization": f"Bearer {fuzz_key}"}
    seen: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen[response.status_code // 100] += 1

        check()
    # The fuzzing reached real handlers: some answers succeeded, some refused the input.
    assert seen[2] > 50 and seen[4] > 50, seen
