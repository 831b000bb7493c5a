from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from pipeflow_nb.server import create_app
from tests.server.nodes import make_registry

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., FastAPI]]:
    """Build apps on a temporary home with the test registry; closes them afterwards."""
    apps: list[FastAPI] = []

    def build(**settings: Any) -> FastAPI:
        settings.setdefault("registry", make_registry())
        app = create_app(settings.pop("home", tmp_path / "home"), **settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.state.pipeflow.close()


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def dev_key(app: FastAPI) -> str:
    key: str = app.state.pipeflow.dev_key
    return key


@pytest.fixture
async def client(app: FastAPI, dev_key: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver/api/v1",
        headers={"Authorization": f"Bearer {dev_key}"},
    ) as c:
        yield c


async def wait_terminal(
    client: httpx.AsyncClient, execution_id: str, *, attempts: int = 1500
) -> dict[str, Any]:
    """Poll until the execution is terminal (bounded by attempts, not by a clock)."""
    body: dict[str, Any] = {}
    for _ in range(attempts):
        response = await client.get(f"/workflows/executions/{execution_id}/poll")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in TERMINAL:
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"{execution_id} still {body.get('status')}")
