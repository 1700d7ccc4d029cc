"""A real OpenLink Virtuoso on loopback, for the remote store's tests (a pytest plugin).

Debian's ``virtuoso-opensource-7-bin`` (the binaries only: the full package starts a system
service with default ports and password). One server per session, on free loopback ports, in a
throw-away database directory, with a generated ``dba`` password: a first run of ``virtuoso-t``
creates the database, sets the password and exits before it serves anything; the second serves.
Tests that take it are skipped without the binary, and fail under ``CI`` (``@pytest.mark.system``
in conftest.py).

``ResultSetMaxRows`` is 20,000 here, low on purpose: a test reads more than 10,000 rows (all of
them) and one asks for more than the cap (a clear error, never a silent cut).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from essaim.config import RemoteSettings

BINARY = "virtuoso-t"
STARTUP_DEADLINE_S = 180.0  # a loaded CI machine: creating the database took over 60 s once
PORT_ATTEMPTS = 3
MAX_ROWS = 20_000
#: What the tests' parametrised fixtures mark the Virtuoso runs with (conftest.py skips or fails).
NEEDS_VIRTUOSO = pytest.mark.system(BINARY)

INI = """\
[Database]
DatabaseFile = {root}/virtuoso.db
ErrorLogFile = {root}/virtuoso.log
TransactionFile = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = {root}
VADInstallDir = {root}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {root}
ServerThreads = 10
MaxClientConnections = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 60
MaxQueryCostEstimationTime = 0
"""


@dataclass(frozen=True)
class VirtuosoServer:
    url: str
    sql_port: int
    user: str
    password: str
    root: Path
    process: subprocess.Popen[bytes]

    def settings(self, **overrides: object) -> RemoteSettings:
        """Settings for this server: queries to ``/sparql``, updates to ``/sparql-auth`` and
        graphs to ``/sparql-graph-crud-auth`` (HTTP Digest, as ``dba``)."""
        values: dict[str, object] = {
            "query_url": f"{self.url}/sparql",
            "update_url": f"{self.url}/sparql-auth",
            "graph_store_url": f"{self.url}/sparql-graph-crud-auth",
            "username": self.user,
            "password": self.password,
            "dialect": "virtuoso",
            "timeout_s": 60.0,
        }
        values.update(overrides)
        return RemoteSettings(**values)  # type: ignore[arg-type]

    def env(self) -> dict[str, str]:
        """The same settings as ``ESSAIM_STORE*`` environment variables (``essaim serve``)."""
        return {
            "ESSAIM_STORE": f"{self.url}/sparql",
            "ESSAIM_STORE_UPDATE": f"{self.url}/sparql-auth",
            "ESSAIM_STORE_GRAPH_STORE": f"{self.url}/sparql-graph-crud-auth",
            "ESSAIM_STORE_USER": self.user,
            "ESSAIM_STORE_PASSWORD": self.password,
            "ESSAIM_STORE_DIALECT": "virtuoso",
        }


def _free_ports(count: int) -> list[int]:
    from oxigraph_server_fixtures import free_port

    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serving(url: str, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            response = httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=2.0)
            if response.status_code == httpx.codes.OK:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return False


def start_virtuoso(root: Path, *, max_rows: int = MAX_ROWS) -> VirtuosoServer:
    """A Virtuoso serving a new database in ``root``; the caller stops its process."""
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.fail(f"{BINARY} is missing (apt-get install virtuoso-opensource-7-bin)")
    password = secrets.token_hex(8)  # 16 characters: a longer one was not set (7.2.5)
    log = root / "virtuoso.log"
    for _ in range(PORT_ATTEMPTS):
        for stale in root.glob("virtuoso*"):
            stale.unlink()
        http_port, sql_port = _free_ports(2)
        ini = root / "virtuoso.ini"
        ini.write_text(
            INI.format(root=root, sql_port=sql_port, http_port=http_port, max_rows=max_rows)
        )
        # The first run creates the database, changes the default passwords and exits.
        subprocess.run(
            [binary, "-c", str(ini), "+foreground", "+pwdold", "dba", "+pwddba", password,
             "+pwddav", password],
            cwd=root, check=True, capture_output=True, timeout=STARTUP_DEADLINE_S,
        )  # fmt: skip
        with (root / "serve.out").open("wb") as out:
            process = subprocess.Popen(
                [binary, "-c", str(ini), "+foreground"],
                cwd=root, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{http_port}"
        try:
            if _serving(url, process):
                return VirtuosoServer(url, sql_port, "dba", password, root, process)
        except BaseException:
            _stop(process)
            raise
        _stop(process)
    pytest.fail(f"Virtuoso did not start: {log.read_text() if log.exists() else ''}")


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    if shutil.which(BINARY) is None:
        from conftest import require

        require(False, f"needs the system program {BINARY!r} (install it: see .ci/run)")
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        _stop(server.process)
