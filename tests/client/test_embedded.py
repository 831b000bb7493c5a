"""The embedded default: ``pf.Client()`` with nothing configured, in a fresh process and in
a notebook kernel, runs a published pipeline (including an ``@node`` defined there)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import pipeflow_nb as pf
    from pipeflow_nb.client import embedded

    @pf.node
    def exclaim(text: str, *, times: int = 2) -> str:
        return text + "!" * times

    p = pf.Pipeline("embedded")
    brief = p.add("input:text", id="brief", text="hello")
    p.add(exclaim, id="loud", text=brief, times=3)

    client = pf.Client()
    assert client.embedded and client.base_url is None
    assert embedded.running_server() is None, "nothing may start before the first request"
    wf = client.publish(p)
    print("base", client.base_url)
    execution = client.wait(client.execute(wf, inputs={"brief": "hi"}), progress=True)
    print("status", execution.status.value)
    print("loud", execution.output("loud"))
    print("history", len(list(client.executions(wf))))
    server = embedded.running_server()
    print("thread", server._thread.is_alive())

    @pf.node
    def whisper(text: str) -> str:
        return text.lower()

    later = pf.Pipeline("later")
    later.add(whisper, id="quiet", text=later.add("input:text", id="t", text="LATE"))
    quiet = client.wait(client.execute(client.publish(later)), progress=False)
    print("later", quiet.output("quiet"))
    """
)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEFLOW_")}
    env["PIPEFLOW_HOME"] = str(home)
    return env


@pytest.mark.slow
def test_client_with_nothing_configured_in_a_fresh_process(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=_env(tmp_path / "home"),
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["base"].startswith("http://127.0.0.1:") and lines["base"].endswith("/api/v1")
    assert lines["status"] == "COMPLETED"
    assert lines["loud"] == "hi!!!"
    assert lines["history"] == "1"
    assert lines["thread"] == "True"
    assert lines["later"] == "late"  # a node defined after the server started runs there too
    assert (tmp_path / "home" / "dev-key").is_file()


@pytest.mark.notebook
@pytest.mark.slow
def test_client_with_nothing_configured_in_a_notebook_kernel(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells = [
        *[nbformat.v4.new_code_cell(chunk) for chunk in SCRIPT.split("\n\n") if chunk.strip()],
        nbformat.v4.new_code_cell("execution"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    env = _env(tmp_path / "home")
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=env)
    text = "".join(
        out.get("text", "")
        for cell in notebook.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )
    assert "status COMPLETED" in text and "loud hi!!!" in text
    mimes = {
        mime
        for cell in notebook.cells
        for out in cell.get("outputs", [])
        for mime in out.get("data", {})
    }
    assert "application/vnd.jupyter.widget-view+json" in mimes  # tqdm's notebook bar
    last = notebook.cells[-1].outputs[0]
    assert last["output_type"] == "execute_result"
    assert "exec_" in last["data"]["text/plain"]
    assert (tmp_path / "home" / "dev-key").is_file()


async def test_async_client_starts_the_embedded_server_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeflow_nb.client import AsyncClient, embedded

    monkeypatch.delenv("PIPEFLOW_BASE_URL", raising=False)
    monkeypatch.setenv("PIPEFLOW_API_KEY", "wf_live_meant_for_the_hosted_service")
    monkeypatch.setenv("PIPEFLOW_HOME", str(tmp_path / "home"))
    embedded.stop_server()
    try:
        async with AsyncClient() as client:
            assert client.embedded and embedded.running_server() is None
            usage = await client.usage()
            assert usage.plan == "enterprise"
            assert client.base_url is not None and client.base_url.startswith("http://127.0.0.1:")
            assert client.api_key == (tmp_path / "home" / "dev-key").read_text().strip()
    finally:
        embedded.stop_server()
    assert embedded.running_server() is None
