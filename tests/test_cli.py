"""``pipeflow keys`` and ``pipeflow nodes`` (``serve`` is covered by the server tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeflow_nb.cli import main
from pipeflow_nb.server.store import Store


def test_keys_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path)
    assert (
        main(
            [
                "keys",
                "create",
                "--home",
                home,
                "--name",
                "ci",
                "--plan",
                "pro",
                "--credits",
                "50",
                "--scopes",
                "workflows:read",
                "--expires",
                "30d",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    plain = out.out.strip()
    assert plain.startswith("sk-") and "only time" in out.err
    store = Store(tmp_path / "pipeflow.db")
    key = store.keys.find(plain)
    store.close()
    assert key is not None and key.plan == "pro" and key.credits == 50
    assert key.scopes == {"workflows:read"} and key.expires_at is not None

    assert main(["keys", "list", "--home", home, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["id"] for k in listed] == [key.id] and plain not in json.dumps(listed)

    assert main(["keys", "revoke", key.id, "--home", home]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "revoke", "key_missing", "--home", home]) == 1
    assert main(["keys", "create", "--home", home, "--scopes", "root"]) == 2
    with pytest.raises(SystemExit):
        main(["keys", "create", "--home", home, "--expires", "soon"])


def test_nodes_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nodes", "template"]) == 0
    out = capsys.readouterr().out
    assert "text:template" in out and "input:text" not in out
    assert main(["nodes", "--category", "audio"]) == 0
    out = capsys.readouterr().out
    assert "audio:speech" in out and "image:resize" not in out
    assert main(["nodes", "no-such-node-type-anywhere"]) == 1
    assert "no node types match" in capsys.readouterr().err


def test_serve_prints_the_dev_key_location_and_serves(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeflow_nb.cli",
            "serve",
            "--home",
            str(tmp_path),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for _ in range(600):
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/nodes",
                    headers={
                        "Authorization": f"Bearer {(tmp_path / 'dev-key').read_text().strip()}"
                    },
                )
                break
            except (httpx.TransportError, FileNotFoundError):
                time.sleep(0.05)
        assert response.status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"dev API key: saved in {tmp_path / 'dev-key'}" in out
