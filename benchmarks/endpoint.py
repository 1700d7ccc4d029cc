#!/usr/bin/env python3
"""The endpoint benchmark: ``essaim serve`` against ``oxigraph serve`` and raw pyoxigraph on the
same data, side by side in one run (and rdflib-endpoint at 100k).

For the main size (1M triples by default; synthetic data from generate.py):

- cheap query: one initiative's properties (``SELECT ?p ?o WHERE { <initiative> ?p ?o }``, a
  real initiative of the data), GET with the query URL-encoded, driven by ``wrk -t2 -c8`` for
  ``--duration`` seconds per run, essaim and ``oxigraph serve`` interleaved (``--wrk-reps``
  runs each, the order swapped every repetition): requests/s, latency p50/p99, non-2xx answers.
- heavy queries: every ``queries/*.rq`` through essaim's HTTP endpoint, through raw pyoxigraph
  (in this process, ``Store.read_only`` on a checkpoint of the very store essaim serves, the
  results serialised to JSON as the endpoint does) and through ``oxigraph serve``; one warm-up
  each, then ``--heavy-reps`` repetitions paired and interleaved; medians and ratios.
- runaway: essaim restarted with ``--query-timeout`` = ``--runaway-limit`` (5 s); a
  cartesian-product query alone (how long until its 503, which worker burned the CPU, and that
  no worker burns any once it is answered), then again while wrk drives the cheap query: the
  cheap query's p99 meanwhile, against the same server with no runaway.

At ``--rdflib-size`` (100k): the cheap query on essaim, ``oxigraph serve`` and rdflib-endpoint
(installed into its own virtual environment, ``.venv-bench-rdflib``, created when missing; if it
cannot be installed the run says so and goes on).

Results: ``<out>/<timestamp>-endpoint.json`` and ``<out>/latest-endpoint.md`` (also printed).

    python benchmarks/endpoint.py                 # 1M, and rdflib-endpoint at 100k
    python benchmarks/endpoint.py --size 1M --duration 10 --wrk-reps 2
    python benchmarks/endpoint.py --quick --out /tmp/bench   # ~5k triples, short runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psutil
import pyoxigraph as ox
from rich.console import Console

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
import run as harness  # noqa: E402

SCHEMA = "essaim-endpoint-benchmark/1"
QUICK_SIZE = 5_000
GRAPH_BASE = harness.GRAPH_BASE
JSON_RESULTS = "application/sparql-results+json"
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RDFLIB_ENDPOINT = "rdflib-endpoint[cli]==0.6.3"
STARTUP_DEADLINE_S = 300.0
PORT_ATTEMPTS = 3

#: Targets from the issue.
CHEAP_THROUGHPUT_MIN = 0.30  # essaim's req/s / oxigraph serve's, cheap query, 1M
CHEAP_P99_MAX_MS = 20.0
HEAVY_RATIO_MAX = 1.05  # essaim over HTTP / raw pyoxigraph, per heavy query
RUNAWAY_P99_MAX_MS = 50.0  # cheap p99 while a runaway query runs
RUNAWAY_ANSWER_FACTOR = 1.2  # the runaway's 503 within 1.2 × its time limit
IDLE_CPU_MAX = 10.0  # per cent of one core, all query workers together, once answered

err = Console(stderr=True)
BenchmarkError = harness.BenchmarkError


# ------------------------------------------------------------------------------------------------
# wrk's output
# ------------------------------------------------------------------------------------------------

_TIME_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_TIME = r"([\d.]+)(us|ms|s|m|h)"
_WRK_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.M)
_WRK_LATENCY = re.compile(rf"^\s+Latency\s+{_TIME}\s+{_TIME}\s+{_TIME}", re.M)
_WRK_PERCENTILE = re.compile(rf"^\s+(\d+)%\s+{_TIME}\s*$", re.M)
_WRK_TOTAL = re.compile(rf"^\s+(\d+) requests in {_TIME}, ([\d.]+)(B|KB|MB|GB|TB) read", re.M)
_WRK_NON_2XX = re.compile(r"^\s+Non-2xx or 3xx responses:\s+(\d+)", re.M)
_WRK_SOCKET = re.compile(
    r"^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.M
)


def _ms(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS[unit]


def parse_wrk(text: str) -> dict[str, Any]:
    """The figures of one ``wrk --latency`` run: requests/s, request count, duration, latency
    (mean, stdev, max and the 50/75/90/99th percentiles, in ms), bytes read, non-2xx/3xx answers
    and socket errors. Raises ValueError when the text is not wrk's report."""
    rate = _WRK_RATE.search(text)
    total = _WRK_TOTAL.search(text)
    percentiles = {int(m[1]): _ms(m[2], m[3]) for m in _WRK_PERCENTILE.finditer(text)}
    if rate is None or total is None or not {50, 99} <= percentiles.keys():
        raise ValueError(f"not a wrk --latency report:\n{text[-2000:]}")
    result: dict[str, Any] = {
        "requests_per_s": float(rate[1]),
        "requests": int(total[1]),
        "duration_s": _ms(total[2], total[3]) / 1000,
        "bytes_read": round(float(total[4]) * _BYTE_UNITS[total[5]]),
        "latency_ms": {f"p{q}": v for q, v in sorted(percentiles.items())},
        "non_2xx_3xx": 0,
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    }
    latency = _WRK_LATENCY.search(text)
    if latency is not None:
        result["latency_ms"].update(
            mean=_ms(latency[1], latency[2]),
            stdev=_ms(latency[3], latency[4]),
            max=_ms(latency[5], latency[6]),
        )
    non_2xx = _WRK_NON_2XX.search(text)
    if non_2xx is not None:
        result["non_2xx_3xx"] = int(non_2xx[1])
    errors = _WRK_SOCKET.search(text)
    if errors is not None:
        result["socket_errors"] = dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
    return result


def wrk_available() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    url: str,
    duration: float,
    *,
    connections: int,
    threads: int,
    timeout_s: int = 2,
    server: Server | None = None,
) -> dict[str, Any]:
    """One wrk run on ``url`` (GET, JSON results asked for; wrk takes whole seconds), with where
    the CPU went meanwhile: the server's own process, its children (essaim's query workers),
    wrk, this process, and the rest of the machine (other work: the noise)."""
    seconds = max(1, round(duration))
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
        "--latency", "-H", f"Accept: {JSON_RESULTS}", url,
    ]  # fmt: skip
    before = CpuAccount.take(server)
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    cpu = CpuAccount.take(server).since(before)
    if done.returncode != 0:
        raise BenchmarkError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-1000:]}")
    result = parse_wrk(done.stdout)
    result["command"] = " ".join(command[:-1]) + " URL"
    result["cpu_pct"] = cpu
    return result


@dataclass(frozen=True)
class CpuAccount:
    """CPU seconds used so far: by the whole machine (busy time), a server's own process, its
    children (live, or reaped by it), and this process's own and reaped children (wrk)."""

    wall: float
    busy: float
    server: float
    workers: float
    own: float
    reaped: float

    @classmethod
    def take(cls, server: Server | None) -> CpuAccount:
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        main = workers = 0.0
        if server is not None:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(server.pid)
                t = root.cpu_times()
                main = t.user + t.system
                workers = t.children_user + t.children_system
                for child in root.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        c = child.cpu_times()
                        workers += c.user + c.system
        me, children = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        return cls(
            time.monotonic(), busy, main, workers, me.ru_utime + me.ru_stime,
            children.ru_utime + children.ru_stime,
        )  # fmt: skip

    def since(self, start: CpuAccount) -> dict[str, float]:
        """Per cent of one core each used between ``start`` and this account."""
        wall = self.wall - start.wall
        parts = {
            "server": self.server - start.server,
            "server_children": self.workers - start.workers,
            "wrk": self.reaped - start.reaped,
            "benchmark": self.own - start.own,
        }
        parts["other"] = max(0.0, (self.busy - start.busy) - sum(parts.values()))
        return {k: round(100 * v / wall, 1) for k, v in parts.items()}


# ------------------------------------------------------------------------------------------------
# Pairing and summaries
# ------------------------------------------------------------------------------------------------


def rotation(names: Sequence[str], rep: int) -> list[str]:
    """The order of the engines at repetition ``rep``: AB, BA, ... (ABC, BCA, CAB, ...)."""
    shift = rep % len(names)
    return [*names[shift:], *names[:shift]]


def paired(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """How ``a`` compares with ``b``, measured in pairs: the ratio of the medians and the median
    of the per-pair ratios."""
    if not a or len(a) != len(b):
        raise ValueError("paired measurements need two series of the same, non-zero length")
    return {
        "ratio": statistics.median(a) / statistics.median(b),
        "paired_ratio_median": statistics.median(x / y for x, y in zip(a, b, strict=True)),
    }


def summarise_wrk(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeated wrk runs of one server."""
    return {
        "runs": runs,
        "requests_per_s": statistics.median(r["requests_per_s"] for r in runs),
        "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in runs),
        "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in runs),
        "max_ms": max(r["latency_ms"].get("max", 0.0) for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in runs),
        "socket_errors": sum(sum(r["socket_errors"].values()) for r in runs),
        "cpu_pct": {
            key: statistics.median(r["cpu_pct"][key] for r in runs)
            for key in runs[0].get("cpu_pct", {})
        },
    }


def series_stats(times: Sequence[float], rows: int) -> dict[str, Any]:
    return {
        "rows": rows,
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": harness.percentile(times, 0.9) * 1000,
        "times_ms": [t * 1000 for t in times],
    }


# ------------------------------------------------------------------------------------------------
# Servers
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(eq=False)
class Server:
    name: str
    query_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(self.pid).children()
        return []

    def url_for(self, query: str) -> str:
        return f"{self.query_url}?query={urllib.parse.quote(query, safe='')}"


@dataclass
class Servers:
    """Servers started as subprocesses (each in its own process group, with its children), all
    stopped on the way out, errors included."""

    folder: Path
    running: list[Server] = field(default_factory=list)

    def start(
        self,
        name: str,
        command: Callable[[int], list[str]],
        *,
        query_path: str,
        probe_path: str,
        cwd: Path,
        env: dict[str, str] | None = None,
    ) -> Server:
        """Start ``command(port)`` on a free port; poll ``probe_path`` until it answers 200."""
        log = self.folder / f"{name.replace(' ', '-')}.log"
        for _ in range(PORT_ATTEMPTS):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with log.open("ab") as out:
                process = subprocess.Popen(  # noqa: S603
                    command(port),
                    cwd=cwd,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, **(env or {})},
                    start_new_session=True,
                )
            server = Server(name, base + query_path, process, log)
            self.running.append(server)
            if self._wait(server, base + probe_path):
                return server
            self.stop(server)
            if "address already in use" not in log.read_text(errors="replace").lower():
                break
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-15:])
        raise BenchmarkError(f"{name} did not start:\n{tail}")

    @staticmethod
    def _wait(server: Server, probe: str) -> bool:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        with httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if server.process.poll() is not None:
                    return False
                with contextlib.suppress(httpx.TransportError):
                    if client.get(probe).status_code == httpx.codes.OK:
                        return True
                time.sleep(0.05)
        return False

    def stop(self, server: Server) -> None:
        if server in self.running:
            self.running.remove(server)
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.pid, signal.SIGKILL)  # its own group: workers left behind, if any

    def stop_all(self) -> None:
        for server in list(self.running):
            self.stop(server)

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def essaim_serve(
    data_dir: Path, timeout_s: float, workers: int | None
) -> Callable[[int], list[str]]:
    def command(port: int) -> list[str]:
        extra = ["--workers", str(workers)] if workers else []
        return [
            *harness.essaim_command(), "--data-dir", str(data_dir), "serve", "--port", str(port),
            "--no-load", "--query-timeout", f"{timeout_s:g}", "--log-level", "warning", *extra,
        ]  # fmt: skip

    return command


def oxigraph_binary() -> str:
    local = Path(sys.executable).with_name("oxigraph")
    return str(local) if local.exists() else "oxigraph"


def start_essaim(
    servers: Servers, data_dir: Path, timeout_s: float, workers: int | None, name: str = "essaim"
) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSAIM_")}
    command = essaim_serve(data_dir, timeout_s, workers)
    return servers.start(
        name, command, query_path="/sparql", probe_path="/healthz", cwd=data_dir, env=env
    )


def start_oxigraph(servers: Servers, location: Path) -> Server:
    def command(port: int) -> list[str]:
        return [oxigraph_binary(), "serve", "--location", str(location), "--bind",
                f"127.0.0.1:{port}", "--union-default-graph"]  # fmt: skip

    return servers.start(
        "oxigraph serve", command, query_path="/query", probe_path="/query?query=ASK%7B%7D",
        cwd=location.parent,
    )  # fmt: skip


def start_rdflib(servers: Servers, venv: Path, data: Path) -> Server:
    def command(port: int) -> list[str]:
        return [str(venv / "bin" / "rdflib-endpoint"), "serve", "--host", "127.0.0.1",
                "--port", str(port), str(data)]  # fmt: skip

    return servers.start(
        "rdflib-endpoint", command, query_path="/", probe_path="/?query=ASK%7B%7D", cwd=data.parent
    )


def ensure_rdflib_endpoint(venv: Path) -> tuple[Path | None, str]:
    """rdflib-endpoint in its own virtual environment (so that it leaves the project's pinned
    dependencies alone): its path and version, or None and why it is unavailable."""
    program = venv / "bin" / "rdflib-endpoint"
    if not program.exists():
        err.print(f"installing {RDFLIB_ENDPOINT} into {venv}")
        try:
            python = shutil.which("python3") or sys.executable
            subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)  # noqa: S603
            subprocess.run(  # noqa: S603
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", RDFLIB_ENDPOINT],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            return None, f"could not install {RDFLIB_ENDPOINT}: {str(detail).strip()[-500:]}"
    versions = (
        "import importlib.metadata as m; print(m.version('rdflib-endpoint'), m.version('rdflib'))"
    )
    version = subprocess.run(  # noqa: S603
        [str(venv / "bin" / "python"), "-c", versions], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        return None, f"rdflib-endpoint in {venv} does not run: {version.stderr.strip()[-500:]}"
    endpoint, rdflib = version.stdout.split()
    return venv, f"rdflib-endpoint {endpoint} (rdflib {rdflib})"


# ------------------------------------------------------------------------------------------------
# Data and stores
# ------------------------------------------------------------------------------------------------

#: Compacts essaim's store (as run.py does: no background compaction during the measurements),
#: then checkpoints it for raw pyoxigraph (hard links: the same files as the server's snapshot).
SETTLE = """
import json, sys, time
from pathlib import Path
from essaim.config import Settings
from essaim.store import open_store
store = open_store(Settings(data_dir=Path(sys.argv[1])))
start = time.perf_counter()
store.raw.optimize()
optimized = time.perf_counter()
store.raw.backup(sys.argv[2])
store.close()
print(json.dumps({"optimize_s": optimized - start, "path": str(store.path)}))
"""


@dataclass(frozen=True)
class Prepared:
    label: str
    data: Path
    triples: int
    essaim_dir: Path
    raw_dir: Path
    oxigraph_dir: Path
    initiative: str
    info: dict[str, Any]

    @property
    def cheap_query(self) -> str:
        return f"SELECT ?p ?o WHERE {{ <{self.initiative}> ?p ?o }}"


def pick_initiative(data: Path) -> str:
    """A real initiative of the data: the middle one of the file."""
    marker = "<https://w3id.org/essaim/ontology#Initiative> .\n"
    found = []
    with data.open(encoding="utf-8") as handle:
        for line in handle:
            if line.endswith(marker) and "#type>" in line:
                found.append(line.split(" ", 1)[0].strip("<>"))
    if not found:
        raise BenchmarkError(f"no essaim:Initiative in {data}")
    return found[len(found) // 2]


def prepare(label: str, triples: int, work: Path, seed: int) -> Prepared:
    """Generate the data, load it into essaim (trusted) and into an oxigraph store (the same
    named graph), compact both, checkpoint essaim's for raw pyoxigraph."""
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"synthetic-{label}-s{seed}.nt"
    graph = GRAPH_BASE + data.with_suffix("").name
    err.print(f"{label}: generating {data.name}")
    quads = generate.generate(data, triples, seed)
    harness.warm_file(data)
    stores = work / f"endpoint-{label}"
    shutil.rmtree(stores, ignore_errors=True)
    stores.mkdir(parents=True)
    essaim_dir, raw_dir, oxigraph_dir = stores / "essaim", stores / "raw", stores / "oxigraph"
    err.print(f"{label}: loading essaim (trusted) and oxigraph")
    load = harness.run_child(
        [*harness.essaim_command(), "--data-dir", str(essaim_dir), "load", "--trusted", data.name],
        data.parent,
    )
    settle = harness.run_child(
        [sys.executable, "-c", SETTLE, str(essaim_dir), str(raw_dir)], stores
    )
    settled = json.loads(settle["stdout"].strip().splitlines()[-1])
    ox_load = harness.run_child(
        [oxigraph_binary(), "load", "--location", str(oxigraph_dir), "--file", str(data),
         "--graph", graph],
        stores,
    )  # fmt: skip
    ox_optimize = harness.run_child(
        [oxigraph_binary(), "optimize", "--location", str(oxigraph_dir)], stores
    )
    initiative = pick_initiative(data)
    info = {
        "label": label,
        "target_triples": triples,
        "triples": quads,
        "file": data.name,
        "graph": graph,
        "initiative": initiative,
        "essaim_load_s": load["wall_s"],
        "essaim_optimize_s": settled["optimize_s"],
        "oxigraph_load_s": ox_load["wall_s"],
        "oxigraph_optimize_s": ox_optimize["wall_s"],
        "essaim_store_bytes": harness.disk_usage(essaim_dir),
        "oxigraph_store_bytes": harness.disk_usage(oxigraph_dir),
    }
    return Prepared(label, data, quads, essaim_dir, raw_dir, oxigraph_dir, initiative, info)


#: The default knowledge base's initiatives, in a stable order (the cheap query takes the middle
#: one, as on the synthetic data).
KB_INITIATIVES = """PREFIX essaim: <https://w3id.org/essaim/ontology#>
SELECT DISTINCT ?i WHERE { ?i a essaim:Initiative FILTER(isIRI(?i)) } ORDER BY STR(?i)"""

#: Parameters for the canned queries that require one, filled from the data (see kb_queries).
KB_SEARCH_TEXT = "innovation"
KB_CONCEPT = "https://w3id.org/essaim/codebook/barrier/resources-and-constraints"


def first_start(data_dir: Path, folder: Path) -> float:
    """``essaim serve`` on an empty data folder, as ``make run`` starts it the first time: it
    loads the bundled ontology/ and kb/ (the default knowledge base); stopped once it answers.
    Returns the seconds from launch to its first ``/healthz`` answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSAIM_")}

    def command(port: int) -> list[str]:
        return [*harness.essaim_command(), "--data-dir", str(data_dir), "serve", "--port",
                str(port), "--log-level", "warning"]  # fmt: skip

    with Servers(folder) as servers:
        start = time.monotonic()
        servers.start(
            "essaim (first start)", command, query_path="/sparql", probe_path="/healthz",
            cwd=data_dir, env=env,
        )  # fmt: skip
        return time.monotonic() - start


def prepare_kb(work: Path, folder: Path) -> Prepared:
    """The default knowledge base (REAL data): loaded by essaim's first start, compacted and
    checkpointed as for the synthetic data; every quad of the checkpoint dumped to N-Quads and
    loaded into an oxigraph store (the same graphs), compacted."""
    stores = work / "endpoint-kb"
    shutil.rmtree(stores, ignore_errors=True)
    stores.mkdir(parents=True)
    essaim_dir, raw_dir, oxigraph_dir = stores / "essaim", stores / "raw", stores / "oxigraph"
    essaim_dir.mkdir()
    err.print("kb: essaim's first start on an empty folder (loads the default knowledge base)")
    started_s = first_start(essaim_dir, folder)
    settle = harness.run_child(
        [sys.executable, "-c", SETTLE, str(essaim_dir), str(raw_dir)], stores
    )
    settled = json.loads(settle["stdout"].strip().splitlines()[-1])
    data = stores / "kb.nq"
    raw = ox.Store.read_only(str(raw_dir))
    quads = len(raw)
    raw.dump(output=str(data), format=ox.RdfFormat.N_QUADS)
    rows = [s["i"] for s in raw.query(KB_INITIATIVES, use_default_graph_as_union=True)]  # type: ignore[union-attr]
    del raw
    if not rows:
        raise BenchmarkError("no essaim:Initiative in the default knowledge base")
    initiative = rows[len(rows) // 2].value
    harness.warm_file(data)
    ox_load = harness.run_child(
        [oxigraph_binary(), "load", "--location", str(oxigraph_dir), "--file", str(data)], stores
    )
    ox_optimize = harness.run_child(
        [oxigraph_binary(), "optimize", "--location", str(oxigraph_dir)], stores
    )
    info = {
        "label": "kb",
        "data": "the default knowledge base (real data, as `make run` loads it)",
        "triples": quads,
        "initiatives": len(rows),
        "file": data.name,
        "initiative": initiative,
        "essaim_first_start_s": started_s,
        "essaim_optimize_s": settled["optimize_s"],
        "oxigraph_load_s": ox_load["wall_s"],
        "oxigraph_optimize_s": ox_optimize["wall_s"],
        "essaim_store_bytes": harness.disk_usage(essaim_dir),
        "oxigraph_store_bytes": harness.disk_usage(oxigraph_dir),
    }
    return Prepared("kb", data, quads, essaim_dir, raw_dir, oxigraph_dir, initiative, info)


def kb_queries(prepared: Prepared) -> dict[str, str]:
    """The heavy mix on the default knowledge base: the synthetic mix (``benchmarks/queries``)
    and every canned query of ``queries/`` (``canned/<name>``), its parameters bound by a
    ``VALUES`` block as essaim sends them to a remote store: the defaults; the initiative of the
    cheap query, a broad barrier concept and the word ``innovation`` where one is required."""
    from essaim.canned import bind, bundled_queries
    from essaim.store.values_clause import bind_values

    required = {"initiative": prepared.initiative, "concept": KB_CONCEPT, "text": KB_SEARCH_TEXT}
    mix = dict(harness.read_queries())
    for name, query in sorted(bundled_queries().items()):
        values = {
            p.name: required[p.name] for p in query.parameters if p.required and p.name in required
        }
        mix[f"canned/{name}"] = bind_values(query.text, bind(query, values))
    return mix


# ------------------------------------------------------------------------------------------------
# The cheap query under wrk
# ------------------------------------------------------------------------------------------------


def count_rows(body: bytes) -> int:
    return len(json.loads(body)["results"]["bindings"])


def check_answer(client: httpx.Client, server: Server, query: str) -> int:
    """The server answers the query with 200 and JSON results; the number of rows."""
    response = client.get(server.url_for(query), headers={"Accept": JSON_RESULTS})
    if response.status_code != httpx.codes.OK:
        raise BenchmarkError(
            f"{server.name} answered {response.status_code} to the cheap query: "
            f"{response.text[:500]}"
        )
    return count_rows(response.content)


def bench_cheap(servers: Sequence[Server], query: str, args: argparse.Namespace) -> dict[str, Any]:
    """wrk on every server in turn, interleaved, after a check and a short warm-up each."""
    with httpx.Client(timeout=30.0) as client:
        rows = {s.name: check_answer(client, s, query) for s in servers}
    if len(set(rows.values())) != 1:
        raise BenchmarkError(f"the servers disagree on the cheap query's rows: {rows}")
    for server in servers:  # warm-up, not recorded
        run_wrk(server.url_for(query), min(2.0, args.duration), **_wrk_options(args))
    runs: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
    by_name = {s.name: s for s in servers}
    for rep in range(args.wrk_reps):
        for name in rotation(list(by_name), rep):
            err.print(f"  wrk {name} ({rep + 1}/{args.wrk_reps})")
            server = by_name[name]
            result = run_wrk(
                server.url_for(query), args.duration, server=server, **_wrk_options(args)
            )
            runs[name].append(result)
    out: dict[str, Any] = {"rows": next(iter(rows.values())), "servers": {}}
    for name, series in runs.items():
        out["servers"][name] = summarise_wrk(series)
    if "oxigraph serve" in runs:
        reference = [r["requests_per_s"] for r in runs["oxigraph serve"]]
        for name, series in runs.items():
            if name != "oxigraph serve":
                mine = [r["requests_per_s"] for r in series]
                out["servers"][name]["throughput_vs_oxigraph"] = paired(mine, reference)
    return out


def _wrk_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"connections": args.connections, "threads": args.threads}


# ------------------------------------------------------------------------------------------------
# Heavy queries
# ------------------------------------------------------------------------------------------------


def bench_heavy(
    essaim: Server,
    oxigraph: Server,
    raw_dir: Path,
    reps: int,
    queries: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every query of the mix (default: ``benchmarks/queries/*.rq``) through essaim's endpoint,
    raw pyoxigraph and oxigraph serve, paired and interleaved; each result read whole (HTTP) or
    serialised to JSON (raw)."""
    queries = harness.read_queries() if queries is None else queries
    raw = ox.Store.read_only(str(raw_dir))
    client = httpx.Client(timeout=httpx.Timeout(3600.0, connect=10.0))

    def over_http(server: Server) -> Callable[[str], tuple[float, bytes]]:
        headers = {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}

        def timed(query: str) -> tuple[float, bytes]:
            start = time.perf_counter()
            response = client.post(server.query_url, content=query.encode(), headers=headers)
            body = response.content
            elapsed = time.perf_counter() - start
            if response.status_code != httpx.codes.OK:
                raise BenchmarkError(f"{server.name}: {response.status_code} {body[:500]!r}")
            return elapsed, body

        return timed

    def in_process(query: str) -> tuple[float, bytes]:
        start = time.perf_counter()
        results = raw.query(query, use_default_graph_as_union=True)
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return time.perf_counter() - start, body or b""

    engines = {
        "essaim": over_http(essaim),
        "raw": in_process,
        "oxigraph serve": over_http(oxigraph),
    }
    names = list(engines)
    times = {q: {e: [] for e in names} for q in queries}
    rows: dict[str, dict[str, int]] = {q: {} for q in queries}
    try:
        for name, text in queries.items():  # warm-up, and the row counts
            for engine, run in engines.items():
                rows[name][engine] = count_rows(run(text)[1])
            if len(set(rows[name].values())) != 1:
                raise BenchmarkError(f"{name}: the engines disagree on the rows: {rows[name]}")
        for rep in range(reps):
            err.print(f"  heavy mix {rep + 1}/{reps}")
            for name, text in queries.items():
                for engine in rotation(names, rep):
                    elapsed, body = engines[engine](text)
                    times[name][engine].append(elapsed)
                    if count_rows(body) != rows[name][engine]:
                        raise BenchmarkError(f"{name}: {engine}'s row count changed")
    finally:
        client.close()
    result: dict[str, Any] = {"reps": reps, "engines": names, "queries": {}}
    for name in queries:
        t = times[name]
        entry: dict[str, Any] = {e: series_stats(t[e], rows[name][e]) for e in names}
        entry["essaim_vs_raw"] = paired(t["essaim"], t["raw"])
        entry["oxigraph_vs_raw"] = paired(t["oxigraph serve"], t["raw"])
        result["queries"][name] = entry
    mix = {e: sum(q[e]["median_ms"] for q in result["queries"].values()) for e in names}
    result["mix"] = {
        **{f"{e}_ms": v for e, v in mix.items()},
        "essaim_vs_raw": mix["essaim"] / mix["raw"],
        "oxigraph_vs_raw": mix["oxigraph serve"] / mix["raw"],
        "worst_query_essaim_vs_raw": max(
            q["essaim_vs_raw"]["ratio"] for q in result["queries"].values()
        ),
    }
    return result


# ------------------------------------------------------------------------------------------------
# The runaway query
# ------------------------------------------------------------------------------------------------


def cpu_percent(processes: Sequence[psutil.Process], interval: float) -> dict[int, float]:
    """Per cent of one core each process used over ``interval`` seconds (gone ones omitted)."""

    def used(process: psutil.Process) -> float | None:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return None
        return times.user + times.system

    before = {p.pid: used(p) for p in processes}
    start = time.monotonic()
    time.sleep(interval)
    elapsed = time.monotonic() - start
    out = {}
    for process in processes:
        first, last = before[process.pid], used(process)
        if first is not None and last is not None:
            out[process.pid] = round(100 * (last - first) / elapsed, 1)
    return out


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class Runaway(threading.Thread):
    """The runaway query, sent by POST in a thread: its status, answer time and problem."""

    def __init__(self, server: Server, query: str, limit_s: float) -> None:
        super().__init__(daemon=True)
        self.server, self.query, self.limit_s = server, query, limit_s
        self.started = 0.0
        self.result: dict[str, Any] = {}

    def run(self) -> None:
        headers = {"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS}
        try:
            with httpx.Client(timeout=self.limit_s * 4 + 30) as client:  # made before the clock
                self.started = time.monotonic()
                response = client.post(self.server.query_url, content=self.query, headers=headers)
                elapsed = time.monotonic() - self.started
            self.result = {"status": response.status_code, "answered_s": elapsed}
            with contextlib.suppress(ValueError):
                self.result["detail"] = response.json().get("detail")
        except httpx.HTTPError as exc:
            self.result = {"status": None, "error": repr(exc)}


def wait_for_workers(server: Server, count: int, deadline_s: float = 60.0) -> float | None:
    """Seconds until the server has ``count`` children again (a killed worker replaced)."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if len([c for c in server.children() if alive(c.pid)]) >= count:
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def runaway_alone(server: Server, limit_s: float, workers: int) -> dict[str, Any]:
    """The runaway with nothing else running: the worker that burns the CPU meanwhile, the time
    to its 503, whether that worker is gone then, and the CPU the workers use in the two seconds
    after (the first includes the start-up of the worker that replaces it)."""
    before = {c.pid for c in server.children()}
    runaway = Runaway(server, RUNAWAY_QUERY, limit_s)
    runaway.start()
    time.sleep(min(1.0, limit_s / 4))  # let it get going
    during = cpu_percent(server.children(), min(0.5, limit_s / 4))
    burner = max(during, key=lambda pid: during[pid]) if during else None
    burner_gone = None
    while runaway.is_alive():  # when the worker dies, against when the 503 arrives
        if burner_gone is None and burner is not None and not alive(burner):
            burner_gone = time.monotonic() - runaway.started
        runaway.join(0.005)
    # The server answers 503 right after the SIGKILL and reaps the worker in the background (a
    # big query's memory takes the kernel a while to free): give the exit up to a second.
    deadline = time.monotonic() + 1.0
    while burner is not None and burner_gone is None and time.monotonic() < deadline:
        if not alive(burner):
            burner_gone = time.monotonic() - runaway.started
        time.sleep(0.005)
    burner_alive = alive(burner) if burner is not None else None
    replaced = wait_for_workers(server, workers)
    first = cpu_percent(server.children(), 1.0)
    second = cpu_percent(server.children(), 1.0)
    return {
        **runaway.result,
        "worker_cpu_during_pct": during,
        "burning_worker": burner,
        "burning_worker_alive_after": burner_alive,
        "burning_worker_gone_s": burner_gone,
        "replacement_workers": sorted(set(first) - before),
        "replaced_s": replaced,
        "worker_cpu_after_pct": first,
        "old_workers_cpu_after_total_pct": round(
            sum(v for pid, v in first.items() if pid in before), 1
        ),
        "workers_cpu_after_total_pct": round(sum(first.values()), 1),
        "worker_cpu_settled_pct": second,
        "workers_cpu_settled_total_pct": round(sum(second.values()), 1),
        "server_cpu_settled_pct": cpu_percent([psutil.Process(server.pid)], 0.5).get(server.pid),
    }


def runaway_under_load(
    server: Server, query: str, limit_s: float, workers: int, args: argparse.Namespace
) -> dict[str, Any]:
    """wrk drives the cheap query while the runaway runs (from the start of wrk's window to
    about three seconds before its end); then the workers' CPU once all is quiet."""
    runaway = Runaway(server, RUNAWAY_QUERY, limit_s)
    runaway.start()
    load = run_wrk(server.url_for(query), limit_s + 3, server=server, **_wrk_options(args))
    runaway.join()
    replaced = wait_for_workers(server, workers)
    after = cpu_percent(server.children(), 1.0)
    return {
        "runaway": runaway.result,
        "cheap": load,
        "replaced_s": replaced,
        "worker_cpu_after_pct": after,
        "workers_cpu_after_total_pct": round(sum(after.values()), 1),
    }


def bench_runaway(servers: Servers, prepared: Prepared, args: argparse.Namespace) -> dict[str, Any]:
    limit = args.runaway_limit
    server = start_essaim(
        servers, prepared.essaim_dir, limit, args.workers, name="essaim (runaway limit)"
    )
    try:
        workers = len(server.children())
        with httpx.Client(timeout=30.0) as client:
            check_answer(client, server, prepared.cheap_query)
        run_wrk(server.url_for(prepared.cheap_query), min(2.0, args.duration), **_wrk_options(args))
        err.print(f"  runaway: the cheap query alone ({limit + 3:g} s)")
        baseline = run_wrk(
            server.url_for(prepared.cheap_query), limit + 3, server=server, **_wrk_options(args)
        )
        err.print("  runaway: the runaway query alone")
        alone = runaway_alone(server, limit, workers)
        err.print("  runaway: the runaway query under wrk")
        loaded = runaway_under_load(server, prepared.cheap_query, limit, workers, args)
    finally:
        servers.stop(server)
    return {
        "limit_s": limit,
        "query": RUNAWAY_QUERY,
        "workers": workers,
        "baseline": baseline,
        "alone": alone,
        "under_load": loaded,
    }


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------


def bench_main_size(
    prepared: Prepared,
    args: argparse.Namespace,
    folder: Path,
    queries: dict[str, str] | None = None,
    runaway: bool = True,
) -> dict[str, Any]:
    result: dict[str, Any] = {"data": prepared.info}
    with Servers(folder) as servers:
        essaim = start_essaim(servers, prepared.essaim_dir, args.query_timeout, args.workers)
        oxigraph = start_oxigraph(servers, prepared.oxigraph_dir)
        result["essaim_workers"] = len(essaim.children())
        if args.wrk:
            err.print(f"{prepared.label}: the cheap query")
            result["cheap"] = bench_cheap([essaim, oxigraph], prepared.cheap_query, args)
        err.print(f"{prepared.label}: the heavy mix")
        result["heavy"] = bench_heavy(essaim, oxigraph, prepared.raw_dir, args.heavy_reps, queries)
        servers.stop_all()
        if args.wrk and runaway:
            err.print(f"{prepared.label}: the runaway query")
            result["runaway"] = bench_runaway(servers, prepared, args)
    return result


def bench_rdflib_size(prepared: Prepared, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"data": prepared.info}
    venv, about = ensure_rdflib_endpoint(args.rdflib_venv)
    result["rdflib_endpoint"] = about
    if venv is None:
        err.print(f"[yellow]rdflib-endpoint is not measured:[/yellow] {about}")
    with Servers(folder) as servers:
        started = [
            start_essaim(servers, prepared.essaim_dir, args.query_timeout, args.workers),
            start_oxigraph(servers, prepared.oxigraph_dir),
        ]
        if venv is not None:
            start = time.monotonic()
            started.append(start_rdflib(servers, venv, prepared.data))
            result["rdflib_startup_s"] = time.monotonic() - start
        err.print(f"{prepared.label}: the cheap query")
        result["cheap"] = bench_cheap(started, prepared.cheap_query, args)
    return result


def run_benchmark(
    args: argparse.Namespace, report: dict[str, Any], save: Callable[[], None]
) -> None:
    folder = args.work / "endpoint-logs"
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [(args.size, args.main_size_label, bench_main_size)]
    if args.rdflib_size is not None and args.wrk:  # that part is throughput only
        sizes.append((args.rdflib_size, generate.size_label(args.rdflib_size), bench_rdflib_size))
    for triples, label, bench in sizes:
        key = "main" if bench is bench_main_size else "rdflib"
        try:
            prepared = prepare(label, triples, args.work, args.seed)
            try:
                report[key] = bench(prepared, args, folder)
            finally:
                if not args.keep:
                    shutil.rmtree(prepared.essaim_dir.parent, ignore_errors=True)
        except (BenchmarkError, ValueError, OSError, httpx.HTTPError) as exc:
            err.print(f"[red]{label}: the endpoint benchmark failed:[/red] {exc}")
            report.setdefault("failures", []).append(
                {"part": key, "size": label, "error": str(exc)}
            )
        save()
    if args.kb:
        bench_kb(args, report, folder)
        save()


def bench_kb(args: argparse.Namespace, report: dict[str, Any], folder: Path) -> None:
    """The default knowledge base (real data): the cheap query and the heavy mix with the canned
    queries, as on the synthetic data (no runaway part: it does not depend on the data)."""
    try:
        prepared = prepare_kb(args.work, folder)
        try:
            report["kb"] = bench_main_size(
                prepared, args, folder, queries=kb_queries(prepared), runaway=False
            )
        finally:
            if not args.keep:
                shutil.rmtree(prepared.essaim_dir.parent, ignore_errors=True)
    except (BenchmarkError, ValueError, OSError, httpx.HTTPError) as exc:
        err.print(f"[red]kb: the endpoint benchmark failed:[/red] {exc}")
        report.setdefault("failures", []).append({"part": "kb", "size": "kb", "error": str(exc)})


# ------------------------------------------------------------------------------------------------
# Targets and report
# ------------------------------------------------------------------------------------------------


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in ("main", "kb"):
        if report.get(key):
            out += _targets(report[key])
    return out


def _targets(main: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    label = data_label(main["data"])

    def add(name: str, value: float | None, limit: str, met: bool | None) -> None:
        out.append({"target": name, "size": label, "value": value, "limit": limit, "met": met})

    cheap = main.get("cheap")
    if cheap:
        essaim = cheap["servers"]["essaim"]
        v = essaim["throughput_vs_oxigraph"]["ratio"]
        add("cheap query: essaim req/s / oxigraph serve", v, f"≥ {CHEAP_THROUGHPUT_MIN}",
            v >= CHEAP_THROUGHPUT_MIN)  # fmt: skip
        v = essaim["p99_ms"]
        add("cheap query: essaim p99 (ms)", v, f"< {CHEAP_P99_MAX_MS:g}", v < CHEAP_P99_MAX_MS)
        add("cheap query: essaim non-2xx answers", essaim["non_2xx_3xx"], "0",
            essaim["non_2xx_3xx"] == 0 and essaim["socket_errors"] == 0)  # fmt: skip
    heavy = main.get("heavy")
    if heavy:
        for name, q in heavy["queries"].items():
            v = q["essaim_vs_raw"]["ratio"]
            add(f"heavy {name}: essaim HTTP / raw", v, f"≤ {HEAVY_RATIO_MAX}", v <= HEAVY_RATIO_MAX)
        v = heavy["mix"]["essaim_vs_raw"]
        add("heavy mix: essaim HTTP / raw", v, f"≤ {HEAVY_RATIO_MAX}", v <= HEAVY_RATIO_MAX)
    runaway = main.get("runaway")
    if runaway:
        limit = runaway["limit_s"]
        cheap_p99 = runaway["under_load"]["cheap"]["latency_ms"]["p99"]
        add("runaway: cheap p99 meanwhile (ms)", cheap_p99, f"< {RUNAWAY_P99_MAX_MS:g}",
            cheap_p99 < RUNAWAY_P99_MAX_MS)  # fmt: skip
        for case in ("alone", "under_load"):
            r = runaway[case] if case == "alone" else runaway[case]["runaway"]
            answered = r.get("answered_s")
            ok = r.get("status") == 503 and answered is not None
            add(f"runaway ({case.replace('_', ' ')}): 503 after (s)", answered,
                f"503 ≤ {RUNAWAY_ANSWER_FACTOR * limit:g}",
                ok and answered <= RUNAWAY_ANSWER_FACTOR * limit)  # fmt: skip
        alone = runaway["alone"]
        v = alone["old_workers_cpu_after_total_pct"]
        freed = (
            v < IDLE_CPU_MAX
            and alone["workers_cpu_settled_total_pct"] < IDLE_CPU_MAX
            and alone["burning_worker_alive_after"] is False
        )
        add("runaway: other workers' CPU in the second after the 503 (% of a core)", v,
            f"< {IDLE_CPU_MAX:g}, burner gone, all < {IDLE_CPU_MAX:g} a second later",
            freed)  # fmt: skip
    return out


def data_label(data: dict[str, Any]) -> str:
    """What a part ran on: ``kb (real)`` for the default knowledge base, else the size of the
    SYNTHETIC data."""
    return "kb (real)" if data["label"] == "kb" else f"{data['label']} SYNTHETIC"


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _heavy_lines(main: dict[str, Any] | None) -> list[str]:
    if not main or not main.get("heavy"):
        return []
    h = main["heavy"]
    lines: list[str] = []
    lines += [
        f"## Heavy queries, {data_label(main['data'])} (ms; median / p90; whole results)",
        "",
        "| query | rows | essaim HTTP | raw pyoxigraph | essaim / raw | oxigraph serve "
        "| oxigraph serve / raw |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, q in h["queries"].items():
        e, r, s = q["essaim"], q["raw"], q["oxigraph serve"]
        lines.append(
            f"| {name} | {e['rows']:,} | {e['median_ms']:,.1f} / {e['p90_ms']:,.1f} "
            f"| {r['median_ms']:,.1f} / {r['p90_ms']:,.1f} | {q['essaim_vs_raw']['ratio']:.3f} "
            f"| {s['median_ms']:,.1f} / {s['p90_ms']:,.1f} "
            f"| {q['oxigraph_vs_raw']['ratio']:.3f} |"
        )
    mix = h["mix"]
    lines += [
        f"| **whole mix** | | {mix['essaim_ms']:,.1f} | {mix['raw_ms']:,.1f} "
        f"| {mix['essaim_vs_raw']:.3f} | {mix['oxigraph serve_ms']:,.1f} "
        f"| {mix['oxigraph_vs_raw']:.3f} |",
        "",
        "Raw pyoxigraph runs in the benchmark's process on a checkpoint of the store essaim "
        "serves (`Store.read_only`, default graph as union) and serialises the results to "
        "JSON, as essaim's workers do; the HTTP times include the request and the whole body.",
        "",
    ]
    return lines


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    o = report["options"]
    lines = [
        f"# essaim endpoint benchmark — {report['started']} on {m['host']}",
        "",
        f"{m['cpu']}, {m['cores_logical']} logical cores, {m['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"{m['os']}, {m['python']}; pyoxigraph {m['packages']['pyoxigraph']}, essaim "
        f"{m['packages']['essaim']} ({m['commit']}); {report.get('wrk') or 'wrk missing'}. "
        f"Seed {o['seed']}; SYNTHETIC data (benchmarks/generate.py) for the sizes"
        + (
            f"; **kb (real)**: the default knowledge base as `make run` loads it "
            f"({report['kb']['data']['triples']:,} quads, essaim's first start)"
            if report.get("kb")
            else ""
        )
        + f". wrk -t{o['threads']} "
        f"-c{o['connections']} -d{o['duration']:g}s, runs per server: {o['wrk_reps']} "
        f"(interleaved; medians); heavy-query repetitions: {o['heavy_reps']}, after a warm-up.",
        "",
    ]
    cheap_rows = []
    for key in ("main", "kb", "rdflib"):
        part = report.get(key)
        if part and part.get("cheap"):
            cheap_rows.append((part["data"], part["cheap"]))
    if cheap_rows:
        lines += [
            "## Cheap query (one initiative's properties; GET; 8 connections)",
            "",
            "| size | server | rows | req/s | vs oxigraph serve | p50 ms | p99 ms | max ms "
            "| non-2xx | socket errors | CPU % server / its children / wrk / other |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for data, cheap in cheap_rows:
            for name, s in cheap["servers"].items():
                vs = s.get("throughput_vs_oxigraph", {}).get("ratio")
                cpu = s.get("cpu_pct", {})
                lines.append(
                    f"| {data_label(data)} | {name} | {cheap['rows']} "
                    f"| {s['requests_per_s']:,.0f} "
                    f"| {'' if vs is None else f'{vs:.0%}'} | {s['p50_ms']:.2f} "
                    f"| {s['p99_ms']:.2f} | {s['max_ms']:.1f} | {s['non_2xx_3xx']} "
                    f"| {s['socket_errors']} | "
                    + " / ".join(
                        _fmt(cpu.get(k), 0) for k in ("server", "server_children", "wrk", "other")
                    )
                    + " |"
                )
        lines += [
            "",
            "CPU: per cent of one core (the machine has "
            f"{m['cores_logical']}) during the runs, medians; 'other' is the rest of the machine "
            "(other work: noise).",
            "",
        ]
    for key in ("main", "kb"):
        lines += _heavy_lines(report.get(key))
    main = report.get("main")
    if main and main.get("runaway"):
        r = main["runaway"]
        alone, loaded = r["alone"], r["under_load"]
        lines += [
            f"## Runaway query at {main['data']['label']} (essaim with --query-timeout "
            f"{r['limit_s']:g}, {r['workers']} workers)",
            "",
            f"`{r['query']}`",
            "",
            "| measure | value |",
            "|---|---|",
            f"| alone: answer | {alone.get('status')} after {_fmt(alone.get('answered_s'), 2)} s |",
            f"| alone: busiest worker meanwhile | pid {alone['burning_worker']}, "
            f"{_fmt(alone['worker_cpu_during_pct'].get(alone['burning_worker']))} % of a core |",
            f"| alone: that worker after the 503 | "
            f"{'still alive' if alone['burning_worker_alive_after'] else 'gone (killed)'}; "
            f"seen dead {_fmt(alone.get('burning_worker_gone_s'), 2)} s after the request |",
            f"| alone: workers' CPU, first second after the 503 | "
            f"{alone['workers_cpu_after_total_pct']:.1f} % of a core in all (the workers "
            f"that were there: {alone['old_workers_cpu_after_total_pct']:.1f} %; the rest is "
            f"the replacement starting) |",
            f"| alone: workers' CPU, the second after | "
            f"{alone['workers_cpu_settled_total_pct']:.1f} % of a core in all |",
            f"| alone: replacement worker | pid {alone['replacement_workers']}, there "
            f"{_fmt(alone['replaced_s'], 2)} s after the 503 |",
            f"| under wrk: answer | {loaded['runaway'].get('status')} after "
            f"{_fmt(loaded['runaway'].get('answered_s'), 2)} s |",
            f"| under wrk: cheap req/s, p50, p99 | {loaded['cheap']['requests_per_s']:,.0f}, "
            f"{loaded['cheap']['latency_ms']['p50']:.2f} ms, "
            f"{loaded['cheap']['latency_ms']['p99']:.2f} ms (max "
            f"{_fmt(loaded['cheap']['latency_ms'].get('max'))} ms; non-2xx "
            f"{loaded['cheap']['non_2xx_3xx']}) |",
            "| under wrk: CPU % server / its children / wrk / other | "
            + " / ".join(
                _fmt(loaded["cheap"].get("cpu_pct", {}).get(k), 0)
                for k in ("server", "server_children", "wrk", "other")
            )
            + " |",
            f"| no runaway, same server: cheap req/s, p50, p99 | "
            f"{r['baseline']['requests_per_s']:,.0f}, {r['baseline']['latency_ms']['p50']:.2f} ms, "
            f"{r['baseline']['latency_ms']['p99']:.2f} ms |",
            f"| under wrk: workers' CPU over 1 s once wrk ended | "
            f"{loaded['workers_cpu_after_total_pct']:.1f} % of a core |",
            "",
        ]
    rdflib = report.get("rdflib")
    if rdflib:
        lines += [f"rdflib-endpoint: {rdflib.get('rdflib_endpoint')}.", ""]
    for failure in report.get("failures", []):
        lines += [f"**{failure['part']} ({failure['size']}) failed:** {failure['error'][:300]}", ""]
    lines += [
        "## Targets",
        "",
        "| target | size | value | limit | met |",
        "|---|---|---:|---|---|",
    ]
    for t in report.get("targets", []):
        met = {True: "yes", False: "**no**", None: "—"}[t["met"]]
        lines.append(
            f"| {t['target']} | {t['size']} | {_fmt(t['value'], 3)} | {t['limit']} | {met} |"
        )
    lines += [
        "",
        "The machine is noisy: only figures measured side by side in one run compare. wrk "
        "shares the cores with the servers.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = generate.parse_size
    parser.add_argument("--size", type=size, default=size("1M"), help="main size (default 1M)")
    parser.add_argument(
        "--rdflib-size", type=size, default=size("100k"), help="size for rdflib-endpoint (100k)"
    )
    parser.add_argument("--no-rdflib", action="store_true", help="skip the rdflib-endpoint part")
    parser.add_argument(
        "--quick", action="store_true", help="~5k triples, 2 s wrk runs, one repetition"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run (10)")
    parser.add_argument("--wrk-reps", type=int, default=2, help="wrk runs per server (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--heavy-reps", type=int, default=7, help="heavy-query repetitions (7)")
    parser.add_argument(
        "--query-timeout", type=float, default=600.0, help="essaim's time limit, heavy mix (600)"
    )
    parser.add_argument(
        "--runaway-limit", type=float, default=5.0, help="essaim's time limit, runaway part (5)"
    )
    parser.add_argument("--workers", type=int, default=None, help="essaim's query workers")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    parser.add_argument(
        "--work", type=Path, default=None, help="data and stores (default benchmarks/.work)"
    )
    parser.add_argument(
        "--rdflib-venv", type=Path, default=ROOT / ".venv-bench-rdflib",
        help="virtual environment for rdflib-endpoint (created when missing)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    parser.add_argument(
        "--kb", action="store_true",
        help="also the default knowledge base (real data, as `make run` loads it): cheap query "
        "and heavy mix with the canned queries",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.rdflib_size = QUICK_SIZE, QUICK_SIZE
        args.duration, args.wrk_reps, args.heavy_reps = 2.0, 1, 1
        args.runaway_limit = min(args.runaway_limit, 2.0)
    if args.no_rdflib:
        args.rdflib_size = None
    if min(args.wrk_reps, args.heavy_reps) < 1 or args.duration < 1:
        parser.error("repetitions must be at least 1, wrk runs at least 1 s")
    if args.work is None:
        args.work = (HERE / ".work") if args.out == HERE / "results" else args.out / "work"
    args.main_size_label = generate.size_label(args.size)
    args.wrk = wrk_available() is not None
    return args


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds: the servers are stopped on the way out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupted)
    started = datetime.now(UTC)
    wrk_version = None
    if args.wrk:
        probe = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
        wrk_version = (probe.stdout + probe.stderr).splitlines()[0].split(" Copyright")[0]
    else:
        err.print("[yellow]wrk is missing (apt-get install wrk): no throughput figures[/yellow]")
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": harness.machine(),
        "wrk": wrk_version,
        "options": {
            "size": args.main_size_label,
            "rdflib_size": None
            if args.rdflib_size is None
            else generate.size_label(args.rdflib_size),
            "quick": args.quick,
            "seed": args.seed,
            "duration": args.duration,
            "wrk_reps": args.wrk_reps,
            "connections": args.connections,
            "threads": args.threads,
            "heavy_reps": args.heavy_reps,
            "runaway_limit_s": args.runaway_limit,
            "workers": args.workers,
            "kb": args.kb,
        },
    }
    path = args.out / f"{started.strftime('%Y%m%dT%H%M%SZ')}-endpoint.json"
    text = ""

    def save() -> None:
        nonlocal text
        report["finished"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        report["targets"] = targets(report)
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        text = markdown(report)
        (args.out / "latest-endpoint.md").write_text(text, encoding="utf-8")

    run_benchmark(args, report, save)
    print(text)
    err.print(f"results: {path}")
    return 1 if report.get("failures") else 0


if __name__ == "__main__":
    sys.exit(main())
