"""Local LLM (llama.cpp + Gemma 3 270M) and e5 embeddings."""

from __future__ import annotations

import math

import pytest

from tests.nodes.helpers import run_node


@pytest.mark.slow
def test_generate_is_seeded() -> None:
    a = run_node("text:generate", {"prompt": "The capital of France is"}, max_tokens=12, seed=1)
    b = run_node("text:generate", {"prompt": "The capital of France is"}, max_tokens=12, seed=1)
    c = run_node(
        "text:generate",
        {"prompt": "The capital of France is"},
        max_tokens=12,
        seed=2,
        temperature=1.2,
    )
    assert a == b
    assert a["text"].strip()
    assert c != a


def test_generate_rejects_empty_prompt() -> None:
    with pytest.raises(ValueError, match="prompt is empty"):
        run_node("text:generate", {"prompt": "  "})


def test_embed_is_unit_length_and_384_wide() -> None:
    vector = run_node("text:embed", {"text": "A cat sits on the mat."})["embedding"]
    assert len(vector) == 384
    assert math.isclose(math.fsum(v * v for v in vector), 1.0, abs_tol=1e-3)
    query = run_node("text:embed", {"text": "A cat sits on the mat."}, kind="query")["embedding"]
    assert query != vector


def test_similarity_ranks_by_meaning() -> None:
    out = run_node(
        "text:similarity",
        {"query": "feline pets", "documents": ["Shares dropped on Wall Street."]},
        candidates=["Kittens are young cats.", "A cat sits on the mat."],
    )
    texts = [r["text"] for r in out["ranking"]]
    assert texts[-1] == "Shares dropped on Wall Street."
    assert out["best"] in ("Kittens are young cats.", "A cat sits on the mat.")
    assert out["score"] == out["ranking"][0]["score"]


def test_similarity_needs_texts() -> None:
    with pytest.raises(ValueError, match="nothing to compare"):
        run_node("text:similarity", {"query": "x"})
