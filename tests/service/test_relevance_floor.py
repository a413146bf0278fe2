"""Search says when nothing in the index resembles the query, instead of listing the ten
least unlike passages: a query none of whose words the corpus has, and that no passage comes
close to in meaning (bench/relevance_floor.py measures where that line lies)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx

from service.searching import NO_MATCH_DENSE, resembles


def hit(lexical: float, dense: float) -> SimpleNamespace:
    # resembles() reads only the two leg scores of a hit
    return SimpleNamespace(lexical_score=lexical, dense_score=dense)


def test_a_hit_sharing_a_word_with_the_query_resembles_it_however_far_its_meaning() -> None:
    assert resembles([hit(0.0, 0.5), hit(0.4, 0.5)])


def test_a_hit_close_in_meaning_resembles_the_query_without_a_shared_word() -> None:
    assert resembles([hit(0.0, NO_MATCH_DENSE)])


def test_hits_with_no_shared_word_and_only_nonsense_closeness_do_not() -> None:
    assert not resembles([hit(0.0, NO_MATCH_DENSE - 0.01), hit(0.0, 0.7)])


def test_gibberish_gets_no_results_a_no_match_flag_and_glossary_suggestions(
    live_server: str,
) -> None:
    body = httpx.get(f"{live_server}/api/search", params={"q": "xqzv plorf"}, timeout=60).json()

    assert body["results"] == []
    assert body["no_match"] is True
    assert body["suggestions"], "the sample corpus has a glossary to suggest from"
    for term in body["suggestions"]:
        found = httpx.get(f"{live_server}/api/search", params={"q": term}, timeout=60).json()
        assert found["results"], f"a suggestion must find something: {term!r}"


def test_real_english_and_misspelled_queries_are_not_refused(live_server: str) -> None:
    for query in ("what is document sharing?", "hvordan fungerr helsid innlogging", "PLO"):
        body = httpx.get(f"{live_server}/api/search", params={"q": query}, timeout=60).json()
        assert body["no_match"] is False, query
        assert body["results"], query
        assert body["suggestions"] == []
