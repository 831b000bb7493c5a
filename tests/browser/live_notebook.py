"""The notebook the browser test runs: a pipeline shown live, run, with a node that fails."""

from __future__ import annotations

from pathlib import Path

import nbformat

SETUP = """\
import tempfile
import time

import numpy as np

import pipeflow_nb as pf
from pipeflow_nb import Image, Json, NodeRegistry, Video, node
from pipeflow_nb.engine import Engine

reg = NodeRegistry()


@node(registry=reg, node_type="input:brief", category="input", primary_param="text")
def brief(*, text: str = "a lighthouse at dusk") -> str:
    return text


@node(registry=reg, node_type="image:paint", category="image", credits=3)
def paint(text: str, *, width: int = 160) -> Image:
    time.sleep(1.5)  # slow enough for the browser to see the node running
    x = np.linspace(0, 255, width, dtype=np.uint8)
    blue = np.full((120, 1), 160, np.uint8)
    rgb = np.stack(np.broadcast_arrays(x[None, :], x[::-1][None, :], blue), axis=2)
    return Image.from_array(rgb)


@node(registry=reg, node_type="video:animate", category="video", credits=5)
def animate(image: Image, *, frames: int = 12) -> Video:
    import imageio_ffmpeg

    time.sleep(1.5)
    size = 64
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/clip.mp4"
        writer = imageio_ffmpeg.write_frames(
            path, (size, size), fps=10, codec="libx264", pix_fmt_out="yuv420p",
            macro_block_size=16, output_params=["-loglevel", "error"],
        )
        writer.send(None)
        for i in range(frames):
            frame = np.zeros((size, size, 3), np.uint8)
            frame[:, i * 4 : i * 4 + 8] = (255, 200, 0)
            writer.send(frame.tobytes())
        writer.close()
        with open(path, "rb") as fh:
            return Video(fh.read(), content_type="video/mp4")


@node(registry=reg, node_type="utility:describe", category="utility")
def describe(image: Image) -> Json:
    return {"width": image.width, "height": image.height}


@node(registry=reg, node_type="text:shout", category="text")
def shout(text: str) -> str:
    time.sleep(1.0)
    raise RuntimeError("refusing to shout at the lighthouse")


@node(registry=reg, node_type="text:picky", category="text")
def picky(text: str, *, allow_bad: bool = False) -> str:
    if "bad" in text and not allow_bad:
        raise ValueError(f"will not take {text!r}")
    return text.upper()


p = pf.Pipeline("live demo", registry=reg)
b = p.add("input:brief", id="brief", label="Brief")
img = p.add("image:paint", id="paint", label="Paint", text=b)
p.add("video:animate", id="animate", label="Animate", image=img)
p.add("utility:describe", id="describe", label="Describe", image=img)
p.add("text:shout", id="shout", label="Shout", text=b)
engine = Engine(reg, artifacts=pf.ArtifactStore(tempfile.mkdtemp()))

q = pf.Pipeline("batch demo", registry=reg)
picky = q.add("text:picky", id="picky", text=q.add("input:brief", id="brief"))
"""

BATCH = """\
q.show()
batch = q.run_batch({"brief.text": ["calm sea", "bad storm", "dawn"]}, engine=engine)
q.show_batch(batch, engine=engine)
"""

FIX = """\
q.set_params("picky", allow_bad=True)  # fixed: the failed run can now be re-run alone
"""

RUN = """\
execution = p.run(engine=engine, raise_on_failure=False)
print("RUN_DONE", execution.status.value)
"""


def write_notebook(path: Path) -> Path:
    """Write the test notebook to ``path``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Live pipeline graph"),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell("p"),
        nbformat.v4.new_code_cell(RUN),
        nbformat.v4.new_code_cell("execution"),
        nbformat.v4.new_code_cell(BATCH),
        nbformat.v4.new_code_cell(FIX),
        nbformat.v4.new_code_cell('print("ALL_" + "CELLS_DONE")'),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path
