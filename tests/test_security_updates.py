"""SPARQL Update authorisation fails closed, and the metadata graph is essaim's alone.

In-process: the real app (edge, fast path, FastAPI routes) with its lifespan, over a real
pyoxigraph store on disk and the worker pool, through starlette's TestClient. Every refused
update is checked to change nothing: the N-Quads of every graph are compared before and after.
The store-level guard is also run against a real ``oxigraph serve`` (remote store).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from essaim import namespaces as ns
from essaim.config import ServerSettings, Settings
from essaim.store import EmbeddedStore
from essaim.store.remote import RemoteStore
from essaim.users import Role, UserStore, users_path
from essaim.web.app import create_app, wrap

pytest_plugins = ["oxigraph_server_fixtures"]

META = ns.META_GRAPH
GRAPHS = "https://w3id.org/essaim/graph/"
DATA = GRAPHS + "kb/data.ttl"
OTHER = GRAPHS + "kb/other.ttl"
SEED = f"""
INSERT DATA {{
  GRAPH <{META}> {{ <{DATA}> <http://purl.org/dc/terms/source> "kb/data.ttl" }}
  GRAPH <{DATA}> {{ <https://ex.org/s> <https://ex.org/p> "data" }}
  GRAPH <{OTHER}> {{ <https://ex.org/t> <https://ex.org/p> "other" }}
}}"""
USERS = {
    "admin": (Role.ADMIN, None),
    "editor": (Role.EDITOR, None),
    "sarthe": (Role.EDITOR, GRAPHS + "territories/sarthe/"),
}


@dataclass
class Endpoint:
    client: TestClient
    store: EmbeddedStore
    tokens: dict[str, str]

    def update(self, user: str, text: str) -> tuple[int, str]:
        response = self.client.post(
            "/sparql",
            content=text.encode(),
            headers={
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {self.tokens[user]}",
            },
        )
        detail = response.json().get("detail", "") if response.content else ""
        return response.status_code, detail

    def nquads(self) -> str:
        out = io.BytesIO()
        self.store.export(out, ox.RdfFormat.N_QUADS)
        return "".join(sorted(out.getvalue().decode().splitlines(keepends=True)))

    def quads(self, graph: str) -> set[str]:
        return {
            str(q.triple)
            for q in self.store.raw.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        }


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    data_dir = tmp_path_factory.mktemp("updates") / "data"
    data_dir.mkdir()
    users = UserStore(users_path(data_dir), cache_lifetime=0)
    tokens = {name: users.add(name, role, graphs)[1] for name, (role, graphs) in USERS.items()}
    store = EmbeddedStore(data_dir / "store")
    settings = Settings(data_dir=data_dir, server=ServerSettings(load_on_start=False, workers=1))
    with TestClient(wrap(create_app(settings, store), settings)) as client:
        yield Endpoint(client, store, tokens)


@pytest.fixture
def endpoint(shared: Endpoint) -> Endpoint:
    """The module's endpoint, its store reset to the seed (directly: these tests read the live
    store, not the snapshots the query workers read)."""
    shared.store.clear()
    shared.store.update(SEED)
    return shared


E = f"{GRAPHS}\\u006Deta"  # the metadata graph, its "m" written as a codepoint escape
T = "<https://ex.org/a> <https://ex.org/b> <https://ex.org/c>"

#: Updates an editor may not run: each writes graphs that are not fixed IRIs, or the metadata
#: graph; the old guard let every one of them through.
REFUSED_FOR_EDITORS = {
    "drop all": "DROP ALL",
    "drop all, lower case": "drop all",
    "clear named": "CLEAR NAMED",
    "clear default": "CLEAR DEFAULT",
    "clear all silent": "CLEAR SILENT ALL",
    "graph variable with a filter": f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g "
    f"{{ ?s ?p ?o }} FILTER(STR(?g) = '{META}') }}",
    "delete where with a variable": "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    "with the metadata graph": f"WITH <{META}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "using it, writing the default graph": f"DELETE {{ ?s ?p ?o }} USING <{META}> "
    "WHERE { ?s ?p ?o }",
    "delete where in it": f"DELETE WHERE {{ GRAPH <{META}> {{ ?s ?p ?o }} }}",
    "escaped IRI": f"INSERT DATA {{ GRAPH <{E}> {{ {T} }} }}",
    "escaped IRI, long form": f"INSERT DATA {{ GRAPH <{GRAPHS}\\U0000006Deta> {{ {T} }} }}",
    "escaped IRI in WITH": f"WITH <{E}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "escaped IRI in a prefix": f"PREFIX g: <{GRAPHS}\\u006D> DELETE WHERE {{ GRAPH g:eta "
    "{ ?s ?p ?o } }",
    "relative IRI": f"BASE <{GRAPHS}kb/> DELETE WHERE {{ GRAPH <../meta> {{ ?s ?p ?o }} }}",
    "keywords written together": f"INSERTDATA {{ GRAPH <{META}> {{ {T} }} }}",
    "GRAPH then a prefixed name": f"PREFIX : <{GRAPHS}> INSERT DATA {{ GRAPH:meta {{ {T} }} }}",
    "move the metadata graph away": f"MOVE <{META}> TO <{OTHER}>",
    "copy onto it": f"COPY <{DATA}> TO <{META}>",
    "add into it": f"ADD <{DATA}> TO GRAPH <{META}>",
    "move into the default graph": f"MOVE <{DATA}> TO DEFAULT",
    "load into it": f"LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <{META}>",
    "load into a data graph": f"LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <{OTHER}>",
    "a triple outside GRAPH": f"INSERT DATA {{ {T} }}",
    "drop it after a harmless operation": f"INSERT DATA {{ GRAPH <{OTHER}> {{ {T} }} }} ; "
    f"DROP GRAPH <{META}>",
}


@pytest.mark.parametrize("update", REFUSED_FOR_EDITORS.values(), ids=REFUSED_FOR_EDITORS.keys())
def test_an_editor_is_refused_and_nothing_changes(endpoint: Endpoint, update: str) -> None:
    before = endpoint.nquads()
    status, detail = endpoint.update("editor", update)
    assert status == 403, detail
    assert detail
    assert endpoint.nquads() == before


#: Updates that change the metadata graph, for any role: the store refuses them whatever the
#: syntax (some pass the text's scan as an admin's unresolvable writes).
REFUSED_FOR_ADMINS = {
    "clear all written together": "CLEARALL",
    "move it away": f"MOVE <{META}> TO <{OTHER}>",
    "explicit insert data": f"INSERT DATA {{ GRAPH <{META}> {{ {T} }} }}",
    "escaped IRI": f"INSERT DATA {{ GRAPH <{E}> {{ {T} }} }}",
    "keywords written together": f"INSERTDATA {{ GRAPH <{META}> {{ {T} }} }}",
    "GRAPH then a prefixed name": f"PREFIX : <{GRAPHS}> DELETE DATA {{ GRAPH:meta {{ "
    f'<{DATA}> <http://purl.org/dc/terms/source> "kb/data.ttl" }} }}',
    "graph variable": "DELETE { GRAPH ?g { ?s ?p ?o } } INSERT { GRAPH ?g { ?s ?p 'forged' } } "
    "WHERE { GRAPH ?g { ?s ?p ?o } }",
}


@pytest.mark.parametrize("update", REFUSED_FOR_ADMINS.values(), ids=REFUSED_FOR_ADMINS.keys())
def test_nobody_writes_the_metadata_graph(endpoint: Endpoint, update: str) -> None:
    before = endpoint.nquads()
    status, detail = endpoint.update("admin", update)
    assert status == 403, detail
    assert META in detail
    assert endpoint.nquads() == before


SWEEPS = ["DROP ALL", "CLEAR NAMED", "clear silent all", "DROP NAMED"]


@pytest.mark.parametrize("update", SWEEPS)
def test_an_admins_drop_all_leaves_the_metadata_graph_intact(
    endpoint: Endpoint, update: str
) -> None:
    meta_before = endpoint.quads(META)
    status, detail = endpoint.update(
        "admin", update + f" ; INSERT DATA {{ GRAPH <{OTHER}> {{ {T} }} }}"
    )
    assert status == 204, detail
    assert not endpoint.quads(DATA)
    assert len(endpoint.quads(OTHER)) == 1  # cleared, then the triple inserted after
    assert meta_before < endpoint.quads(META)  # intact, and the update's record added
    if update.startswith("DROP"):
        assert endpoint.store.named_graphs() == sorted([META, OTHER])


def test_an_admins_unresolvable_update_runs_and_its_record_says_any_graph(
    endpoint: Endpoint,
) -> None:
    status, detail = endpoint.update(
        "admin",
        "DELETE { GRAPH ?g { ?s <https://ex.org/p> ?o } } "
        "WHERE { GRAPH ?g { ?s <https://ex.org/p> ?o } }",
    )
    assert status == 204, detail
    assert not endpoint.quads(DATA) and not endpoint.quads(OTHER)
    records = endpoint.store.query(
        f"SELECT ?act ?any WHERE {{ GRAPH <{META}> {{ ?act a <{ns.PROV}Activity> ; "
        f"<{ns.ESSAIM}anyGraph> ?any }} }}"
    )
    rows = list(records)  # type: ignore[arg-type]
    assert len(rows) == 1 and rows[0]["any"].value == "true"


def records(endpoint: Endpoint) -> list[set[str]]:
    rows = endpoint.store.query(
        f"SELECT ?act ?g WHERE {{ GRAPH <{META}> {{ ?act a <{ns.PROV}Activity> "
        f"OPTIONAL {{ ?act <{ns.PROV}generated> ?g }} }} }}"
    )
    found: dict[str, set[str]] = {}
    for row in rows:  # type: ignore[union-attr]
        graphs = found.setdefault(row["act"].value, set())
        if row["g"] is not None:
            graphs.add(row["g"].value)
    return list(found.values())


ALLOWED_FOR_EDITORS: dict[str, tuple[str, set[str]]] = {
    "insert data": (f"INSERT DATA {{ GRAPH <{OTHER}> {{ {T} }} }}", {OTHER}),
    "escaped IRI": (
        f"INSERT DATA {{ GRAPH <{GRAPHS}kb/\\u006Eew.ttl> {{ {T} }} }}",
        {GRAPHS + "kb/new.ttl"},
    ),
    "with": (f"WITH <{OTHER}> INSERT {{ {T} }} WHERE {{ }}", {OTHER}),
    "move": (f"MOVE <{DATA}> TO <{GRAPHS}kb/moved.ttl>", {DATA, GRAPHS + "kb/moved.ttl"}),
    "copy": (f"COPY <{DATA}> TO <{OTHER}>", {OTHER}),
    "using only reads": (
        f"INSERT {{ GRAPH <{OTHER}> {{ ?s ?p 'copied' }} }} USING <{DATA}> WHERE {{ ?s ?p ?o }}",
        {OTHER},
    ),
    "drop a graph": (f"DROP GRAPH <{DATA}>", {DATA}),
    "version 1.2 and a triple term": (
        f'VERSION "1.2" INSERT DATA {{ GRAPH <{OTHER}> {{ <https://ex.org/a> <https://ex.org/b> '
        "<<( <https://ex.org/a> <https://ex.org/b> <https://ex.org/c> )>> } }",
        {OTHER},
    ),
}


@pytest.mark.parametrize(
    ("update", "written"), ALLOWED_FOR_EDITORS.values(), ids=ALLOWED_FOR_EDITORS.keys()
)
def test_an_editors_update_with_fixed_graphs_runs_and_its_record_names_them(
    endpoint: Endpoint, update: str, written: set[str]
) -> None:
    meta_before = endpoint.quads(META)
    before = endpoint.nquads()
    status, detail = endpoint.update("editor", update)
    assert status == 204, detail
    assert endpoint.nquads() != before
    assert records(endpoint) == [written]
    assert meta_before <= endpoint.quads(META)  # the record is added, nothing removed


def test_an_editor_limited_to_a_prefix_writes_through_the_graph_store_only(
    endpoint: Endpoint,
) -> None:
    before = endpoint.nquads()
    status, detail = endpoint.update(
        "sarthe", f"INSERT DATA {{ GRAPH <{GRAPHS}territories/sarthe/x> {{ {T} }} }}"
    )
    assert status == 403 and "Graph Store Protocol" in detail
    assert endpoint.nquads() == before


# -- the store-level guard, without the endpoint --------------------------------------------------


def check_store_guard(
    update: Callable[..., None], quads: Callable[[], set[str]], *, virtuoso: bool = False
) -> None:
    """Virtuoso (no atomic update) refuses before running what does not name the graphs it
    writes (UnsupportedOperation), as it refuses what names the protected one."""
    from essaim.store.base import (
        ProtectedGraphChanged,  # here: the old code had none
        UnsupportedOperation,
    )

    refusal = UnsupportedOperation if virtuoso else ProtectedGraphChanged
    before = quads()
    with pytest.raises(refusal):
        update("DROP ALL", protected=META, then="")
    with pytest.raises(refusal):
        update(f"INSERTDATA {{ GRAPH <{E}> {{ {T} }} }}", protected=META, then="")
    assert quads() == before
    record = f"INSERT DATA {{ GRAPH <{META}> {{ <https://ex.org/record> <https://ex.org/p> 1 }} }}"
    update(f"INSERT DATA {{ GRAPH <{OTHER}> {{ {T} }} }}", protected=META, then=record)
    after = quads()
    assert len(after) == len(before) + 2  # the user's triple and essaim's own record


def test_the_embedded_store_refuses_a_change_to_the_protected_graph() -> None:
    store = EmbeddedStore()
    store.update(SEED)

    def quads() -> set[str]:
        return {str(q) for q in store.raw}

    check_store_guard(store.guarded_update, quads)


def test_the_remote_store_refuses_a_change_to_the_protected_graph(
    remote_store: RemoteStore,
) -> None:
    remote_store.update(SEED)

    def quads() -> set[str]:
        out = io.BytesIO()
        remote_store.export(out, ox.RdfFormat.N_QUADS)
        return set(out.getvalue().decode().splitlines())

    check_store_guard(remote_store.guarded_update, quads, virtuoso=remote_store.virtuoso)
