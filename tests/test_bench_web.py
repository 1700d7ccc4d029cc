"""The web benchmark's pure helpers (benchmarks/web.py): its picks, the words it searches for,
its summaries and its targets. The benchmark itself starts servers and runs for minutes: it is
run by ``make bench``, not here.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("essaim_benchmarks_web", BENCHMARKS / "web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


web = _load()


def test_spread_keeps_the_ends_and_spaces_the_rest() -> None:
    assert web.spread(list(range(11)), 3) == [0, 5, 10]
    assert web.spread(list(range(100)), 4) == [0, 33, 66, 99]
    assert web.spread([1, 2], 5) == [1, 2]
    assert web.spread(list(range(9)), 1) == [4]
    assert web.spread([1, 2, 3], 0) == []


def test_natural_key_sorts_numbers_as_numbers() -> None:
    iris = ["ex:i10", "ex:i2", "ex:i1", "ex:a3"]
    assert sorted(iris, key=web.natural_key) == ["ex:a3", "ex:i1", "ex:i2", "ex:i10"]


def test_summary_ms() -> None:
    s = web.summary_ms([0.010, 0.020, 0.030, 0.040, 0.100])
    assert s["n"] == 5
    assert s["median_ms"] == pytest.approx(30.0)
    assert s["max_ms"] == pytest.approx(100.0)
    assert s["min_ms"] == pytest.approx(10.0)
    assert 40.0 < s["p95_ms"] < 100.0
    with pytest.raises(ValueError, match="no times"):
        web.summary_ms([])


def test_accents() -> None:
    assert web.strip_accents("réseau économique à Pélisse") == "reseau economique a Pelisse"
    assert web.has_accent("réseau")
    assert not web.has_accent("reseau")


def test_word_counts_counts_texts_not_occurrences_and_skips_stop_words() -> None:
    words, pairs = web.word_counts(
        ["Le réseau des acteurs, le réseau local", "Réseau local pour les acteurs", "dans 2024"]
    )
    assert words["réseau"] == 2  # once per text, lower-cased, accents kept
    assert words["acteurs"] == 2
    assert "dans" not in words and "2024" not in words and "le" not in words  # stop, digits, short
    assert pairs["réseau local"] == 2
    assert "local pour" not in pairs  # a stop word breaks a pair


def test_pick_searches_covers_every_kind_once() -> None:
    fr_words = Counter(
        {"réseau": 9, "économie": 8, "solidarité": 7, "acteurs": 6, "territoire": 5, "emploi": 4}
    )
    fr_pairs = Counter({"réseau local": 3, "économie sociale": 2})
    en_words = Counter({"funding": 5, "trust": 4, "acteurs": 3})
    en_pairs = Counter({"lack funding": 2})
    picks = web.pick_searches((fr_words, fr_pairs), (en_words, en_pairs))
    by_kind: dict[str, list[str]] = {}
    for search in picks:
        by_kind.setdefault(search.kind, []).append(search.q)
    assert by_kind["fr"] == ["acteurs", "territoire", "emploi"]
    assert by_kind["fr-accented"] == ["réseau", "économie", "solidarité"]
    assert by_kind["fr-unaccented"] == ["reseau", "economie", "solidarite"]
    assert by_kind["en"] == ["funding", "trust"]  # 'acteurs' is French
    assert by_kind["fr-2 words"] == ["réseau local", "économie sociale"]
    assert by_kind["en-2 words"] == ["lack funding"]
    assert {s.lang for s in picks if s.kind.startswith("en")} == {"en"}
    assert len({(s.q, s.lang) for s in picks}) == len(picks)


def test_pick_searches_makes_about_fifty_from_a_large_vocabulary() -> None:
    fr = Counter({f"mot{chr(97 + i % 26)}{i}": 1000 - i for i in range(400)})
    fr.update({f"été{chr(97 + i % 26)}{i}": 500 - i for i in range(400)})
    fr_pairs = Counter({f"mot{i} mot{i + 1}": 100 - i for i in range(100)})
    en = Counter({f"word{i}": 300 - i for i in range(300)})
    en_pairs = Counter({f"word{i} word{i + 1}": 100 - i for i in range(100)})
    picks = web.pick_searches((fr, fr_pairs), (en, en_pairs))
    assert len(picks) == 50
    assert sum(web.has_accent(s.q) for s in picks) == 12


def test_page_path() -> None:
    assert web.page_path("https://w3id.org/essaim/kb/initiative/x-y") == "/kb/initiative/x-y"
    assert (
        web.page_path("https://example.org/essaim-synthetic/s42/initiative/i1")
        == "/resource?iri=https%3A%2F%2Fexample.org%2Fessaim-synthetic%2Fs42%2Finitiative%2Fi1"
    )


def test_profile_queries_finds_the_private_selects() -> None:
    module = SimpleNamespace(
        _ONE="SELECT ?x WHERE { ?x ?p ?o }",
        _NOT_A_QUERY="hello",
        PUBLIC="SELECT ?x WHERE {}",
        __doc__="SELECT in a docstring",
        _NUMBER=3,
    )
    assert web.profile_queries({"m": module}) == {"m._ONE": "SELECT ?x WHERE { ?x ?p ?o }"}
    real = web.profile_queries(web._modules())
    assert "initiative._SIMILAR" in real and "generic._OUT" in real


def _page(kind: str, iri: str, uncached: float, cached: float) -> dict[str, object]:
    return {"kind": kind, "iri": iri, "uncached_ms": uncached, "cached": {"median_ms": cached}}


def test_summarise_pages() -> None:
    pages = [
        _page("initiative", "ex:i1", 40.0, 2.0),
        _page("initiative", "ex:i2", 120.0, 3.0),
        _page("initiative", "ex:i3", 60.0, 2.5),
        _page("actor", "ex:a1", 10.0, 1.0),
    ]
    s = web.summarise_pages(pages)
    assert list(s) == ["initiative", "actor"]
    assert s["initiative"]["uncached_median_ms"] == 60.0
    assert s["initiative"]["uncached_max_ms"] == 120.0
    assert s["initiative"]["slowest"] == "ex:i2"
    assert s["initiative"]["cached_median_ms"] == 2.5
    assert s["initiative"]["cached_max_median_ms"] == 3.0
    assert s["actor"]["pages"] == 1


def test_targets() -> None:
    report = {
        "data": {"label": "1M"},
        "pages": {"by_kind": web.summarise_pages([_page("initiative", "ex:i1", 80.0, 2.0)])},
        "canned": {
            "cases": {
                "q": {
                    "essaim_cache_headers": ["miss", "hit"],
                    "servers": {"essaim": {"throughput_vs_oxigraph": {"ratio": 0.4}}},
                },
                "streamed": {
                    "essaim_cache_headers": [None, None],
                    "servers": {"essaim": {"throughput_vs_oxigraph": {"ratio": 0.9}}},
                },
                "not-measured": {},
            }
        },
        "search": {
            "http": {"n": 50, "p95_ms": 20.0, "max_ms": 60.0},
            "in_process": {"n": 50, "p95_ms": 10.0, "max_ms": 30.0},
        },
    }
    met = {t["target"]: t["met"] for t in web.targets(report)}
    assert met == {
        "initiative page, uncached: median over 1 pages (ms)": True,
        "initiative page, uncached: max over 1 pages (ms)": True,
        "canned q: essaim cached req/s / oxigraph serve uncached": False,
        "canned streamed: essaim NOT cached (no X-Essaim-Cache hit) req/s / oxigraph serve "
        "uncached": False,
        "search over HTTP: p95 over 50 searches (ms)": True,
        "search over HTTP: max over 50 searches (ms)": False,
        "search in process: p95 over 50 searches (ms)": True,
        "search in process: max over 50 searches (ms)": True,
    }
    assert web.targets({}) == []


def test_parse_args_quick(tmp_path: Path) -> None:
    args = web.parse_args(["--quick", "--out", str(tmp_path)])
    assert args.size == web.QUICK_SIZE
    assert args.wrk_reps == 1 and args.duration == 2.0
    assert args.work == tmp_path / "work"
    with pytest.raises(SystemExit):
        web.parse_args(["--wrk-reps", "0"])
