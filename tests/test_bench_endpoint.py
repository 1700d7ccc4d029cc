"""The endpoint benchmark's helpers (benchmarks/endpoint.py): its reading of wrk's report,
checked on real wrk 4.1.0 (Debian) output captured on loopback, and its pairing of measurements.
The benchmark itself starts servers and runs for minutes: it is run by ``make bench``, not here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "essaim_benchmarks_endpoint", BENCHMARKS / "endpoint.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


endpoint = _load()

#: essaim serve, the cheap query at 5k triples: `wrk -t2 -c8 -d5s --latency URL`.
ESSAIM_RUN = """\
Running 5s test @ http://127.0.0.1:18555/sparql?query=SELECT%20%3Fp%20%3Fo%20WHERE%20%7B%20%3Chttps%3A%2F%2Fexample.org%2Fessaim-synthetic%2Fs42%2Finitiative%2Fi1%3E%20%3Fp%20%3Fo%20%7D
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.11ms    1.95ms  17.22ms   70.42%
    Req/Sec   790.11    214.42     1.42k    72.00%
  Latency Distribution
     50%    4.95ms
     75%    6.12ms
     90%    7.62ms
     99%   11.07ms
  7883 requests in 5.02s, 61.65MB read
Requests/sec:   1571.48
Transfer/sec:     12.29MB
"""

#: Every answer a 404: wrk counts them apart.
NOT_FOUND_RUN = """\
Running 2s test @ http://127.0.0.1:18555/nonexistent
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.50ms    4.32ms  51.03ms   97.90%
    Req/Sec     4.28k     1.07k    8.33k    78.05%
  Latency Distribution
     50%  802.00us
     75%    1.01ms
     90%    1.49ms
     99%   28.86ms
  17451 requests in 2.10s, 3.81MB read
  Non-2xx or 3xx responses: 17451
Requests/sec:   8309.40
Transfer/sec:      1.81MB
"""

#: A server answering in 0.6 s, wrk with --timeout=1s: timeouts are socket errors.
SLOW_RUN = """\
Running 3s test @ http://127.0.0.1:38985/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   600.95ms    0.00us 600.95ms  100.00%
    Req/Sec     1.00      0.00     1.00    100.00%
  Latency Distribution
     50%  600.95ms
     75%  600.95ms
     90%  600.95ms
     99%  600.95ms
  4 requests in 3.01s, 452.00B read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:      1.33
Transfer/sec:     150.28B
"""


def test_parse_wrk_reads_throughput_and_latency() -> None:
    result = endpoint.parse_wrk(ESSAIM_RUN)
    assert result["requests_per_s"] == pytest.approx(1571.48)
    assert result["requests"] == 7883
    assert result["duration_s"] == pytest.approx(5.02)
    assert result["bytes_read"] == round(61.65 * 1024**2)
    latency = result["latency_ms"]
    assert (latency["p50"], latency["p75"], latency["p90"], latency["p99"]) == pytest.approx(
        (4.95, 6.12, 7.62, 11.07)
    )
    assert (latency["mean"], latency["stdev"], latency["max"]) == pytest.approx((5.11, 1.95, 17.22))
    assert result["non_2xx_3xx"] == 0
    assert result["socket_errors"] == {"connect": 0, "read": 0, "write": 0, "timeout": 0}


def test_parse_wrk_converts_units_and_counts_failures() -> None:
    result = endpoint.parse_wrk(NOT_FOUND_RUN)
    assert result["latency_ms"]["p50"] == pytest.approx(0.802)  # 802.00us
    assert result["latency_ms"]["p99"] == pytest.approx(28.86)
    assert result["non_2xx_3xx"] == 17451 == result["requests"]

    slow = endpoint.parse_wrk(SLOW_RUN)
    assert slow["latency_ms"]["stdev"] == 0.0  # 0.00us
    assert slow["latency_ms"]["p99"] == pytest.approx(600.95)
    assert slow["bytes_read"] == 452
    assert slow["socket_errors"]["timeout"] == 3
    assert slow["requests_per_s"] == pytest.approx(1.33)


def test_parse_wrk_refuses_what_is_not_a_report() -> None:
    with pytest.raises(ValueError, match="not a wrk"):
        endpoint.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")
    without_percentiles = ESSAIM_RUN.split("  Latency Distribution")[0] + "Requests/sec: 1.0\n"
    with pytest.raises(ValueError):
        endpoint.parse_wrk(without_percentiles)


def test_summarise_wrk_takes_medians_and_adds_failures() -> None:
    runs = [endpoint.parse_wrk(t) for t in (ESSAIM_RUN, NOT_FOUND_RUN, SLOW_RUN)]
    summary = endpoint.summarise_wrk(runs)
    assert summary["requests_per_s"] == pytest.approx(1571.48)
    assert summary["p99_ms"] == pytest.approx(28.86)
    assert summary["max_ms"] == pytest.approx(600.95)
    assert summary["non_2xx_3xx"] == 17451
    assert summary["socket_errors"] == 3


def test_rotation_swaps_the_order_every_repetition() -> None:
    assert [endpoint.rotation(["a", "b"], rep) for rep in range(3)] == [
        ["a", "b"],
        ["b", "a"],
        ["a", "b"],
    ]
    assert endpoint.rotation(["a", "b", "c"], 1) == ["b", "c", "a"]
    assert endpoint.rotation(["a", "b", "c"], 5) == ["c", "a", "b"]


def test_paired_compares_medians_and_pairs() -> None:
    essaim = [1.1, 1.0, 3.0]  # one slow outlier
    raw = [1.0, 1.0, 1.0]
    result = endpoint.paired(essaim, raw)
    assert result["ratio"] == pytest.approx(1.1)
    assert result["paired_ratio_median"] == pytest.approx(1.1)
    with pytest.raises(ValueError):
        endpoint.paired([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        endpoint.paired([], [])


def test_kb_mix_binds_every_canned_query_and_names_the_data(tmp_path: Path) -> None:
    """The heavy mix on the default knowledge base: the synthetic mix and every canned query,
    its required parameters bound, each a query pyoxigraph runs; tables say which data."""
    import pyoxigraph as ox

    from essaim.canned import bundled_queries

    initiative = "https://w3id.org/essaim/kb/initiative/example"
    prepared = endpoint.Prepared(
        "kb", tmp_path / "kb.nq", 0, tmp_path, tmp_path, tmp_path, initiative, {}
    )
    mix = endpoint.kb_queries(prepared)
    canned = {n.removeprefix("canned/") for n in mix if n.startswith("canned/")}
    assert canned == set(bundled_queries())
    assert set(mix) - {f"canned/{n}" for n in canned} == set(endpoint.harness.read_queries())
    assert f"<{initiative}>" in mix["canned/initiative-profile"]
    assert '"innovation"' in mix["canned/search-passages"]
    empty = ox.Store()
    for name, text in mix.items():
        assert isinstance(empty.query(text), ox.QuerySolutions), name  # parses, binds, runs
    assert endpoint.data_label({"label": "kb"}) == "kb (real)"
    assert endpoint.data_label({"label": "250k"}) == "250k SYNTHETIC"
