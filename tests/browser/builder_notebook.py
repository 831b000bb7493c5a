"""The notebook the builder browser test runs: a builder on screen and a ``%%node`` cell."""

from __future__ import annotations

from pathlib import Path

import nbformat

SETUP = """\
%load_ext pipeflow_nb
import pipeflow_nb as pf
from pipeflow_nb.building import builder
from pipeflow_nb.nodes.builtin import builtin_definitions

p = pf.Pipeline("studio", registry=pf.NodeRegistry(builtin_definitions()))
p.add("input:text", id="brief", text="a lighthouse at dusk")
b = builder(p)
b
"""

CELL_NODE = """\
%%node pic --pipeline sketches
from PIL import Image as PILImage
picture = pf.Image.from_pil(PILImage.new("RGB", (96, 64), (200, 40, 40)))
caption = "a red card"
"""


def write_notebook(path: Path) -> Path:
    """Write the test notebook to ``path``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Builder and cells as nodes"),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(CELL_NODE),
        nbformat.v4.new_code_cell('print("ALL_" + "CELLS_DONE")'),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path
