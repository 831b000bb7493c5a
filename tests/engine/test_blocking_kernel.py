"""``Pipeline.run()`` inside a real Jupyter kernel while a widget talks to the kernel.

ipykernel 7 runs its shell as a task on the kernel's loop. Under nest-asyncio, a comm
message for a live widget arriving during a run makes the nested loop step that task
re-entrantly ("cannot enter context ... is already entered"), which in JupyterLab leaves
the kernel unable to run the next cells. The run must finish cleanly and the kernel stay
usable.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

CELL = textwrap.dedent(
    """
    import time
    from pipeflow_nb import NodeRegistry, Pipeline, node
    from pipeflow_nb.artifacts import ArtifactStore
    from pipeflow_nb.engine import Engine

    reg = NodeRegistry()

    @node(registry=reg, node_type="t:slow", category="utility")
    def slow(*, seconds: float = 4.0) -> str:
        time.sleep(seconds)
        return "slept"

    p = Pipeline("k", registry=reg)
    p.add("t:slow", id="s")
    print("RESULT", p.run(engine=Engine(reg, artifacts=ArtifactStore({store!r}))).output("s"))
    """
)


def test_run_survives_widget_messages_during_the_run(tmp_path: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        comm_ids: list[str] = []
        kc.execute_interactive(
            "import ipywidgets\nslider = ipywidgets.IntSlider()\nprint(slider.comm.comm_id)",
            timeout=60,
            output_hook=lambda m: (
                m["msg_type"] == "stream" and comm_ids.append(m["content"]["text"].strip())
            ),
        )
        msg_id = kc.execute(CELL.format(store=str(tmp_path / "artifacts")))
        time.sleep(2.5)  # the node is sleeping now; the front end moves the slider
        for value in range(3):
            update = {"method": "update", "state": {"value": value}, "buffer_paths": []}
            kc.shell_channel.send(
                kc.session.msg("comm_msg", {"comm_id": comm_ids[0], "data": update})
            )
        out: list[str] = []
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            if msg["msg_type"] == "error":
                pytest.fail("\n".join(msg["content"]["traceback"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        text = "".join(out)
        assert "RESULT slept" in text
        assert "already entered" not in text, text
        reply = kc.execute_interactive("print('still alive')", timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
