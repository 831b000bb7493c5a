"""The Binder set-up installs into a fresh environment and runs a tutorial.

Binder builds images with repo2docker, which copies the repository and runs
``pip install -r binder/requirements.txt`` from its root. This test does the same in a new
virtual environment (the pip cache keeps it quick), then checks that JupyterLab sees the
widget extensions the tutorials need and runs the quickstart notebook top to bottom with
nbclient in that environment's own kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


_RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

path, workdir = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
resources = {"metadata": {"path": workdir}}
NotebookClient(nb, timeout=600, kernel_name="python3", resources=resources).execute()
errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
media = sorted({k for c in nb.cells for o in c.get("outputs", []) for k in o.get("data", {})})
print("MEDIA", " ".join(media))
sys.exit(1 if errors else 0)
"""


def _repository_copy(dest: Path) -> Path:
    """The files git tracks (as they are in the working tree), as repo2docker would copy."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def _isolated_env(scratch: Path) -> dict[str, str]:
    """The environment for the fresh install: nothing of the test's venv, state in scratch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(
        PIPEFLOW_HOME=str(scratch / "pipeflow-home"),
        JUPYTER_CONFIG_DIR=str(scratch / "jupyter-config"),
        JUPYTER_DATA_DIR=str(scratch / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(scratch / "jupyter-runtime"),
        IPYTHONDIR=str(scratch / "ipython"),
        MPLCONFIGDIR=str(scratch / "matplotlib"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    env.pop("PIPEFLOW_BASE_URL", None)
    env.pop("PIPEFLOW_API_KEY", None)
    return env


def test_binder_files_are_what_repo2docker_reads() -> None:
    requirements = (BINDER / "requirements.txt").read_text().splitlines()
    assert "-e .[lab]" in [line.strip() for line in requirements]
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-3.")
    minor = int(runtime.removeprefix("python-3."))
    assert minor >= 11, "pyproject.toml requires Python 3.11 or newer"
    apt = (BINDER / "apt.txt").read_text().split()
    # Real-ESRGAN's CPU path links these; espeak-ng is the small speech fallback.
    assert {"libvulkan1", "libomp5", "espeak-ng"} <= set(apt)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_tutorials_are_stored_clean(path: Path) -> None:
    """Binder opens the notebooks as committed: no stale outputs, the standard kernel."""
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: outputs stored (strip them)"
            assert cell["execution_count"] is None, f"{path.name}: execution counts stored"


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_fresh_install_from_binder_runs_the_quickstart(tmp_path: Path) -> None:
    repo = _repository_copy(tmp_path / "repo")
    venv = tmp_path / "venv"
    env = _isolated_env(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", "binder/requirements.txt"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-4000:]

    # JupyterLab must find the widget front-ends prebuilt (Binder runs no `jupyter lab build`).
    listing = subprocess.run(
        [str(venv / "bin" / "jupyter"), "labextension", "list"],
        env=env,
        capture_output=True,
        text=True,
    )
    extensions = listing.stdout + listing.stderr
    for name in ("@jupyter-widgets/jupyterlab-manager", "jupyter-cytoscape"):
        assert name in extensions, f"{name} missing from the lab extensions:\n{extensions}"

    # The package is importable from the fresh environment, not from this checkout.
    where = subprocess.run(
        [str(python), "-c", "import json, pipeflow_nb; print(json.dumps(pipeflow_nb.__file__))"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(json.loads(where.stdout)).is_relative_to(repo)

    workdir = repo / "notebooks"
    run = subprocess.run(
        [str(python), "-c", _RUN_NOTEBOOK, str(workdir / "01_quickstart.ipynb"), str(workdir)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    media = run.stdout.split("MEDIA", 1)[1].split()
    # Real outputs: images, the audio and video players, and the live graph widget.
    for kind in ("image/png", "text/html", "application/vnd.jupyter.widget-view+json"):
        assert kind in media, media
