"""The harvest benchmark (issue 14's targets): one node harvests another that serves the bundled
knowledge base (the founding case and the experiments corpus, with the ontology, codebook and
sources: every graph of its catalogue), into an empty store; then harvests it again unchanged,
which must transfer only the catalogue. Target: the first harvest in under 30 s.

    .venv/bin/python benchmarks/harvest.py                 # peer's store kept in benchmarks/.work
    .venv/bin/python benchmarks/harvest.py --out /tmp/h    # results elsewhere

The peer is ``essaim serve`` in a subprocess on loopback (its first start loads the bundled data;
later runs reuse its data directory). The harvest runs in this process against a new embedded
store, as ``essaim harvest`` does. Results: ``<timestamp>-harvest.json`` and ``latest-harvest.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from essaim.federation.harvest import harvest
from essaim.store import EmbeddedStore

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_peer(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    essaim = Path(sys.executable).with_name("essaim")
    command = [str(essaim), "--data-dir", str(data_dir), "serve", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command)  # noqa: S603 (our own essaim, fixed arguments)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the peer did not start within 900 s (exit {process.poll()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-data", type=Path, default=HERE / ".work" / "harvest-peer")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    args.peer_data.mkdir(parents=True, exist_ok=True)
    print("starting the peer (its first start loads the bundled data)…", file=sys.stderr)
    process, url = start_peer(args.peer_data)
    try:
        clock = time.perf_counter()
        catalogue = httpx.get(f"{url}/catalog", headers={"Accept": "application/n-triples"},
                              timeout=300)  # fmt: skip
        first_catalogue_s = time.perf_counter() - clock
        catalogue.raise_for_status()
        with tempfile.TemporaryDirectory() as folder:
            store = EmbeddedStore(Path(folder) / "store")
            try:
                first = harvest(store, url, sources=(url + "/",), timeout_s=600)
                again = harvest(store, url, sources=(url + "/",), timeout_s=600)
            finally:
                store.close()
    finally:
        process.terminate()
        process.wait(timeout=60)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"host": platform.node(), "python": platform.python_version(),
                    "cpus": __import__("os").cpu_count()},
        "peer_first_catalogue_s": round(first_catalogue_s, 2),
        "catalogue_bytes": len(catalogue.content),
        "first": first.as_dict() | {"graphs": len(first.added)},
        "unchanged": again.as_dict() | {"graphs": len(again.unchanged)},
    }  # fmt: skip
    for key in ("first", "unchanged"):
        for listing in ("added", "changed", "unchanged", "removed"):
            result[key][listing] = len(result[key][listing])  # type: ignore[index]
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"{stamp}-harvest.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "# Harvest benchmark",
        "",
        f"{result['when']}, {platform.node()}, {result['machine']['cpus']} CPUs "
        "(`benchmarks/harvest.py`).",
        "",
        "| what | graphs | triples | bytes received | seconds |",
        "|---|---|---|---|---|",
        f"| peer's first catalogue request (dumps made) | | | {len(catalogue.content)} | "
        f"{first_catalogue_s:.2f} |",
        f"| first harvest (target < 30 s) | {len(first.added)} | {first.triples} | "
        f"{first.bytes_received} | {first.seconds:.2f} |",
        f"| harvest of the unchanged node | {len(again.unchanged)} unchanged | {again.triples} | "
        f"{again.bytes_received} | {again.seconds:.2f} |",
        "",
    ]
    (args.out / "latest-harvest.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
