"""The test helpers: word error rate must be right for the speech tests to mean anything."""

from __future__ import annotations

from tests.nodes.helpers import word_error_rate


def test_word_error_rate_counts_substitutions_insertions_and_deletions() -> None:
    assert word_error_rate("the cat sat", "the cat sat") == 0.0
    assert word_error_rate("the cat sat", "The cat, sat.") == 0.0
    assert word_error_rate("the cat sat on the mat", "the dog sat on mat") == 2 / 6
    assert word_error_rate("a b", "a b c d") == 1.0
