"""Signing in from a browser, in process against a real store (starlette's TestClient runs the
app's lifespan: the node, its worker pool and the user store in a temporary data directory):
passwords and tokens exchanged for a session cookie, the cookie's flags, throttling, sign-out
and revocation, CSRF on every write the cookie authenticates, the graphs page's upload form,
and ``essaim user passwd``."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from essaim.cli import app as cli
from essaim.config import ServerSettings, Settings
from essaim.sessions import LoginThrottle, Sessions
from essaim.users import Role, UserError, UserStore, users_path
from essaim.web.app import create_app
from essaim.web.signin import safe_next

GRAPHS = "https://w3id.org/essaim/graph/"
SARTHE = GRAPHS + "territories/sarthe/"
PASSWORD = "a long enough password"  # noqa: S105 (a test account's)
VALID_TTL = b'<https://example.org/s> <http://purl.org/dc/terms/title> "ok" .\n'
INVALID_TTL = (  # an initiative without the label, carrier and territory the contract asks for
    b"@prefix e: <https://w3id.org/essaim/ontology#> .\n"
    b"<https://w3id.org/essaim/kb/initiative/broken> a e:Initiative .\n"
)
JSON = {"Accept": "application/sparql-results+json"}
USERS = {
    "admin": (Role.ADMIN, None),
    "editor": (Role.EDITOR, None),
    "sarthe": (Role.EDITOR, SARTHE),
    "annotator": (Role.ANNOTATOR, None),
    "throttled": (Role.EDITOR, None),
}


@dataclass
class Site:
    client: TestClient
    users: UserStore
    tokens: dict[str, str]

    @property
    def node(self):  # type: ignore[no-untyped-def]
        return self.client.app.state.node  # type: ignore[attr-defined]

    def sign_in(self, name: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        return self.client.post(
            "/login", data={"name": name, "password": password, **extra}, follow_redirects=False
        )

    def csrf(self) -> str:
        """The CSRF token of the signed-in session, read from a page as a browser would."""
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get("/graphs").text)
        assert match, "no CSRF token on the page: not signed in?"
        return match.group(1)

    def count(self, graph: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        response = self.client.get("/sparql", params={"query": query}, headers=JSON)
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def started(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    data = tmp_path_factory.mktemp("signin") / "data"
    users = UserStore(users_path(data), cache_lifetime=0)
    tokens = {name: users.add(name, role, graphs)[1] for name, (role, graphs) in USERS.items()}
    settings = Settings(data_dir=data, server=ServerSettings(load_on_start=False, workers=1))
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, data, tokens


@pytest.fixture
def site(started: tuple[TestClient, Path, dict[str, str]]) -> Site:
    """The module's app with a fresh cookie jar, fresh throttles and every password reset."""
    client, data, tokens = started
    client.cookies.clear()
    users = UserStore(users_path(data), cache_lifetime=0)
    for name, (role, graphs) in USERS.items():  # a test may have removed or changed one
        if users.get(name) is None:
            tokens[name] = users.add(name, role, graphs)[1]
        Sessions(users).set_password(name, PASSWORD)
    node = client.app.state.node  # type: ignore[attr-defined]
    node.failed_names = LoginThrottle(5)
    node.failed_addresses = LoginThrottle(20)
    return Site(client, users, tokens)


def cookie_header(response: httpx.Response) -> str:
    headers = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    found = [h for h in headers if h.startswith("essaim_session=")]
    assert len(found) == 1, headers
    return found[0]


# -- signing in -----------------------------------------------------------------------------------


def test_the_login_page_and_the_header_link(site: Site) -> None:
    page = site.client.get("/login", params={"next": "/graphs"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'name="password"' in page.text and 'name="token"' in page.text
    assert 'name="next" value="/graphs"' in page.text
    assert page.headers["cache-control"] == "no-store"
    home = site.client.get("/graphs", headers={"Accept-Language": "en"})
    assert 'href="/login?next=/graphs"' in home.text and "Sign out" not in home.text


def test_sign_in_with_a_password(site: Site) -> None:
    response = site.sign_in("editor", next="/graphs")
    assert response.status_code == 303 and response.headers["location"] == "/graphs"
    flags = [f.strip().lower() for f in cookie_header(response).split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http: a Secure cookie would never come back
    page = site.client.get("/graphs", headers={"Accept-Language": "en"})
    assert "Signed in:" in page.text and "<strong>editor</strong>" in page.text
    assert 'action="/logout"' in page.text
    assert page.headers["cache-control"] == "private, no-store"
    # the name is compared without regard to case, like the accounts
    site.client.cookies.clear()
    assert site.sign_in("EDITOR").status_code == 303


def test_sign_in_with_a_token(site: Site) -> None:
    response = site.client.post(
        "/login", data={"token": site.tokens["admin"]}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie_header(response)
    assert "<strong>admin</strong>" in site.client.get("/graphs").text


def test_a_replaced_token_opens_no_session(site: Site) -> None:
    old = site.tokens["throttled"]
    bearer = site.client.get("/graphs", headers={"Authorization": f"Bearer {old}"})
    assert bearer.status_code == 200  # the node now remembers the token for a minute
    remembering = UserStore(site.users.path)  # as a server's store does
    assert remembering.authenticate(old) is not None
    site.tokens["throttled"] = site.users.rotate("throttled")  # another process: the CLI
    assert remembering.authenticate(old) is not None  # still remembered here
    user = remembering.authenticate(old)
    assert user is not None
    with pytest.raises(UserError, match="replaced"):
        site.node.sessions.open(user, old[7:19])
    response = site.client.post("/login", data={"token": old}, follow_redirects=False)
    assert response.status_code == 401 and "essaim_session" not in site.client.cookies


def test_the_cookie_is_secure_over_https(site: Site) -> None:
    response = site.client.post(
        "https://testserver/login",
        data={"name": "editor", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "secure" in [f.strip().lower() for f in cookie_header(response).split(";")]


def test_the_session_id_is_stored_hashed(site: Site) -> None:
    site.sign_in("editor")
    session_id = site.client.cookies["essaim_session"]
    stored = b"".join(p.read_bytes() for p in site.users.path.parent.glob("users.sqlite*"))
    assert session_id.encode() not in stored and PASSWORD.encode() not in stored


@pytest.mark.parametrize(
    ("name", "password", "token"),
    [("editor", "not the password!", ""), ("nobody", PASSWORD, ""), ("", "", "essaim_forged")],
)
def test_a_failed_sign_in_is_a_generic_401(
    site: Site, name: str, password: str, token: str
) -> None:
    response = site.client.post(
        "/login",
        data={"name": name, "password": password, "token": token},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "That name and password (or that token) match no account." in response.text
    assert "set-cookie" not in response.headers
    assert "essaim_session" not in site.client.cookies


def test_a_huge_name_is_a_plain_failure(site: Site) -> None:
    assert site.sign_in("x" * 100_000).status_code == 401


def test_an_empty_form_is_400_and_not_counted(site: Site) -> None:
    for _ in range(6):
        assert site.client.post("/login", data={"name": "editor"}).status_code == 400
    assert site.sign_in("editor").status_code == 303


def test_failed_sign_ins_lock_the_name_out(site: Site) -> None:
    for _ in range(5):
        assert site.sign_in("throttled", "wrong password!!").status_code == 401
    locked = site.sign_in("throttled", PASSWORD)  # the right password, too late
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "essaim_session" not in site.client.cookies
    assert site.sign_in("editor").status_code == 303  # other names are not locked


def test_failed_sign_ins_lock_the_address_out(site: Site) -> None:
    for number in range(20):  # a different name each time: no name reaches its limit
        assert site.sign_in(f"guess{number}", "wrong password!!").status_code == 401
    assert site.sign_in("editor").status_code == 429


def test_the_throttle_locks_doubles_and_forgets() -> None:
    now = [1000.0]
    throttle = LoginThrottle(3, lockout_s=60, max_lockout_s=200, clock=lambda: now[0])
    for _ in range(2):
        throttle.failed("x")
    assert throttle.wait("x") == 0
    throttle.failed("x")
    assert throttle.wait("x") == 60
    now[0] += 61
    assert throttle.wait("x") == 0
    throttle.failed("x")  # one more failure right after a lockout: locked twice as long
    assert throttle.wait("x") == 120
    now[0] += 121
    throttle.failed("x")
    assert throttle.wait("x") == 200  # at most max_lockout_s
    throttle.succeeded("x")
    assert throttle.wait("x") == 0
    throttle.failed("y")
    now[0] += 10_000  # failures long ago are forgotten
    throttle.failed("y")
    throttle.failed("y")
    assert throttle.wait("y") == 0


def test_a_login_form_from_another_site_is_refused(site: Site) -> None:
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = site.client.post(
            "/login",
            data={"name": "editor", "password": PASSWORD},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 403, headers
        assert "essaim_session" not in site.client.cookies


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
     "http:/evil.example", "javascript:alert(1)", "/\t/evil.example", " //evil.example", ""],
)  # fmt: skip
def test_next_never_leaves_the_node(site: Site, target: str) -> None:
    assert safe_next(target) == "/"
    response = site.sign_in("editor", next=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_next_keeps_the_nodes_own_paths() -> None:
    assert (
        safe_next("/graph?iri=https%3A%2F%2Fexample.org") == "/graph?iri=https%3A%2F%2Fexample.org"
    )
    assert safe_next("/kb/initiative/x#top") == "/kb/initiative/x#top"


# -- signing out and revocation -------------------------------------------------------------------


def put_graph(site: Site, graph: str, **headers: str) -> httpx.Response:
    return site.client.put(
        "/rdf-graphs",
        params={"graph": graph},
        content=VALID_TTL,
        headers={"Content-Type": "text/turtle", **headers},
    )


def test_sign_out_ends_the_session_on_the_server(site: Site) -> None:
    site.sign_in("editor")
    token, session_id = site.csrf(), site.client.cookies["essaim_session"]
    refused = site.client.post("/logout", follow_redirects=False)  # no CSRF token
    assert refused.status_code == 403
    assert "<strong>editor</strong>" in site.client.get("/graphs").text  # still signed in
    response = site.client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert (
        'essaim_session=""' in cookie_header(response)
        or "max-age=0" in cookie_header(response).lower()
    )
    with closing(sqlite3.connect(site.users.path)) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions WHERE name = 'editor'").fetchone()[0] == 0
    # the old cookie, replayed with its CSRF token, is refused
    site.client.cookies.set("essaim_session", session_id)
    graph = GRAPHS + "tests/after-logout"
    replay = put_graph(site, graph, **{"X-CSRF-Token": token})
    assert replay.status_code == 401 and "sign in again" in replay.json()["detail"]
    assert site.count(graph) == 0


def test_a_removed_users_session_is_refused(site: Site) -> None:
    site.sign_in("annotator")
    assert "<strong>annotator</strong>" in site.client.get("/graphs").text
    site.users.remove("annotator")
    page = site.client.get("/graphs")
    assert "<strong>annotator</strong>" not in page.text and "/login?next=" in page.text


def test_a_changed_role_or_new_credentials_end_the_session(site: Site) -> None:
    site.sign_in("throttled")
    with closing(sqlite3.connect(site.users.path)) as db, db:
        db.execute("UPDATE users SET role = 'annotator' WHERE name = 'throttled'")
    assert "<strong>throttled</strong>" not in site.client.get("/graphs").text
    with closing(sqlite3.connect(site.users.path)) as db, db:
        db.execute("UPDATE users SET role = 'editor' WHERE name = 'throttled'")
    site.sign_in("throttled")
    site.users.rotate("throttled")  # a new token: every session of the user ends
    assert "<strong>throttled</strong>" not in site.client.get("/graphs").text
    site.sign_in("throttled")
    Sessions(site.users).set_password("throttled", "yet another password")
    assert "<strong>throttled</strong>" not in site.client.get("/graphs").text


def test_an_expired_session_is_refused(site: Site) -> None:
    site.sign_in("editor")
    with closing(sqlite3.connect(site.users.path)) as db, db:
        db.execute("UPDATE sessions SET expires = 0")
    assert "<strong>editor</strong>" not in site.client.get("/graphs").text


# -- CSRF on the writes a session authenticates ---------------------------------------------------


def test_session_writes_need_the_csrf_token(site: Site) -> None:
    site.sign_in("editor")
    token = site.csrf()
    graph = GRAPHS + "tests/csrf"
    insert = f"INSERT DATA {{ GRAPH <{graph}> {{ {VALID_TTL.decode()} }} }}"

    missing = site.client.post("/sparql", data={"update": insert})
    assert missing.status_code == 403
    assert "CSRF token" in missing.json()["detail"] and "X-CSRF-Token" in missing.json()["detail"]
    wrong = site.client.post("/sparql", data={"update": insert, "csrf_token": token[::-1]})
    assert wrong.status_code == 403 and "does not match" in wrong.json()["detail"]
    assert put_graph(site, graph).status_code == 403
    cross = put_graph(site, graph, **{"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert cross.status_code == 403
    fetched = put_graph(site, graph, **{"X-CSRF-Token": token, "Sec-Fetch-Site": "same-site"})
    assert fetched.status_code == 403
    deleted = site.client.delete("/rdf-graphs", params={"graph": graph})
    assert deleted.status_code == 403 and site.count(graph) == 0

    assert (
        site.client.post("/sparql", data={"update": insert, "csrf_token": token}).status_code == 204
    )
    assert site.count(graph) == 1
    header = site.client.post(
        "/sparql",
        content=f"DROP GRAPH <{graph}>",
        headers={"Content-Type": "application/sparql-update", "X-CSRF-Token": token},
    )
    assert header.status_code == 204 and site.count(graph) == 0
    put = put_graph(site, graph, **{"X-CSRF-Token": token, "Origin": "http://testserver"})
    assert put.status_code == 201 and site.count(graph) == 1
    no_token_delete = site.client.delete("/rdf-graphs", params={"graph": graph})
    assert no_token_delete.status_code == 403 and site.count(graph) == 1


def test_bearer_writes_need_no_csrf_token(site: Site) -> None:
    graph = GRAPHS + "tests/bearer"
    response = put_graph(site, graph, Authorization=f"Bearer {site.tokens['editor']}")
    assert response.status_code == 201 and site.count(graph) == 1


def test_an_annotator_session_cannot_write(site: Site) -> None:
    site.sign_in("annotator")
    token = site.csrf()  # the sign-out form in every page's header carries it
    graph = GRAPHS + "tests/annotator"
    insert = f"INSERT DATA {{ GRAPH <{graph}> {{ {VALID_TTL.decode()} }} }}"
    assert (
        site.client.post("/sparql", data={"update": insert, "csrf_token": token}).status_code == 403
    )
    assert put_graph(site, graph, **{"X-CSRF-Token": token}).status_code == 403
    assert 'action="/graphs/upload"' not in site.client.get("/graphs").text
    response = upload(site, token, "x.ttl", VALID_TTL, graph)
    assert response.status_code == 403 and site.count(graph) == 0


# -- the upload form ------------------------------------------------------------------------------


def upload(
    site: Site, token: str | None, name: str, body: bytes, graph: str, mode: str = "replace"
) -> httpx.Response:
    data = {"graph": graph, "mode": mode, **({"csrf_token": token} if token else {})}
    return site.client.post(
        "/graphs/upload",
        data=data,
        files={"file": (name, body, "application/octet-stream")},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )


def test_an_editor_uploads_a_graph_through_the_form(site: Site) -> None:
    site.sign_in("editor")
    assert 'action="/graphs/upload"' in site.client.get("/graphs").text
    token = site.csrf()
    response = upload(site, token, "graph.ttl", VALID_TTL, "tests/uploaded")
    graph = GRAPHS + "tests/uploaded"
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/graph?iri=https%3A%2F%2Fw3id.org%2Fessaim%2Fgraph%2Ftests%2Fuploaded&written=created"
    )
    page = site.client.get(response.headers["location"], headers={"Accept-Language": "en"})
    assert "Graph created (1 triples)" in page.text
    editor = site.users.get("editor")
    assert editor is not None and editor.iri in page.text  # recorded under the pseudonym
    assert "Graph Store Protocol PUT" in page.text
    merged = upload(
        site, token, "more.nt", b'<https://example.org/t> <http://purl.org/dc/terms/title> "t" .\n',
        graph, mode="merge",
    )  # fmt: skip
    assert merged.status_code == 303 and merged.headers["location"].endswith("written=merged")
    assert site.count(graph) == 2


def test_an_upload_without_the_csrf_token_is_refused(site: Site) -> None:
    site.sign_in("editor")
    graph = GRAPHS + "tests/forged"
    response = upload(site, None, "graph.ttl", VALID_TTL, graph)
    assert response.status_code == 403 and "CSRF token" in response.text
    assert site.count(graph) == 0


def test_an_upload_that_breaks_the_contract_is_422_and_writes_nothing(site: Site) -> None:
    site.sign_in("editor")
    token = site.csrf()
    graph = GRAPHS + "tests/kept"
    assert upload(site, token, "graph.ttl", VALID_TTL, graph).status_code == 303
    response = upload(site, token, "broken.ttl", INVALID_TTL, graph)
    assert response.status_code == 422
    assert "The graph breaks the SHACL contract" in response.text
    assert re.search(r"<li>https://w3id.org/essaim/kb/initiative/broken[^<]*</li>", response.text)
    assert site.count(graph) == 1


def test_an_upload_that_does_not_parse_names_the_line(site: Site) -> None:
    site.sign_in("editor")
    graph = GRAPHS + "tests/garbled"
    body = b'<https://example.org/s> <http://purl.org/dc/terms/title> "ok" .\n<oops> <p> .\n'
    response = upload(site, site.csrf(), "garbled.ttl", body, graph)
    assert response.status_code == 400
    assert "request body:2:" in response.text and site.count(graph) == 0


def test_an_upload_names_its_file_as_text(site: Site) -> None:
    site.sign_in("editor")
    response = upload(site, site.csrf(), "<script>x</script>.exe", VALID_TTL, "tests/x")
    assert response.status_code == 415
    assert "<script>x" not in response.text and "&lt;script&gt;x" in response.text


def test_an_editor_with_a_prefix_uploads_inside_it_only(site: Site) -> None:
    site.sign_in("sarthe")
    page = site.client.get("/graphs", headers={"Accept-Language": "en"}).text
    assert f'value="{SARTHE}"' in page and "You may write the graphs under" in page
    token = site.csrf()
    outside = GRAPHS + "tests/not-sarthe"
    response = upload(site, token, "graph.ttl", VALID_TTL, outside)
    assert response.status_code == 403 and "territories/sarthe/" in response.text
    assert site.count(outside) == 0
    meta = upload(site, token, "graph.ttl", VALID_TTL, GRAPHS + "meta")
    assert meta.status_code == 403
    inside = upload(site, token, "graph.ttl", VALID_TTL, SARTHE + "initiatives")
    assert inside.status_code == 303 and site.count(SARTHE + "initiatives") == 1


# -- the stores and the command line --------------------------------------------------------------


def test_passwords_have_a_minimum_length(tmp_path: Path) -> None:
    users = UserStore(users_path(tmp_path), cache_lifetime=0)
    alice, _ = users.add("alice", Role.EDITOR)
    sessions = Sessions(users)
    with pytest.raises(UserError, match="at least 12"):
        sessions.set_password("alice", "short")
    with pytest.raises(UserError, match="no user named"):
        sessions.set_password("bob", PASSWORD)
    sessions.set_password("alice", PASSWORD)
    assert sessions.check_password("alice", PASSWORD) == alice
    assert sessions.check_password("alice", PASSWORD + "!") is None
    # the same password typed with a decomposed accent
    sessions.set_password("alice", "mot de passe é long")
    assert sessions.check_password("alice", "mot de passe e\u0301 long") == alice


def test_a_version_1_user_file_is_migrated(tmp_path: Path) -> None:
    users = UserStore(users_path(tmp_path), cache_lifetime=0)
    alice, token = users.add("alice", Role.ADMIN)
    with closing(sqlite3.connect(users.path)) as db, db:
        db.execute("DROP TABLE sessions")
        db.execute("DROP TABLE passwords")
        db.execute("PRAGMA user_version = 1")
    assert users.authenticate(token) == alice
    Sessions(users).set_password("alice", PASSWORD)
    with closing(sqlite3.connect(users.path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    users.remove("alice")
    with closing(sqlite3.connect(users.path)) as db:
        assert db.execute("SELECT COUNT(*) FROM passwords").fetchone()[0] == 0


def test_cli_passwd(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path)]
    added = runner.invoke(cli, [*base, "user", "add", "alice", "--role", "editor",
                                "--password-stdin"], input=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    sessions = Sessions(UserStore(users_path(tmp_path), cache_lifetime=0))
    assert sessions.check_password("alice", PASSWORD) is not None
    assert sessions.with_password() == {"alice"}
    listed = runner.invoke(cli, [*base, "user", "list"])
    assert listed.exit_code == 0 and "password" in listed.output and "yes" in listed.output
    assert PASSWORD not in listed.output
    typed = runner.invoke(cli, [*base, "user", "passwd", "alice"],
                          input="another password\nanother password\n")  # fmt: skip
    assert typed.exit_code == 0, typed.output
    assert sessions.check_password("alice", "another password") is not None
    assert "another password" not in typed.output.replace("Password", "")
    short = runner.invoke(cli, [*base, "user", "passwd", "alice", "--password-stdin"], input="x\n")
    assert short.exit_code == 1 and "at least 12" in short.output
    refused = runner.invoke(cli, [*base, "user", "add", "bob", "--role", "editor",
                                  "--password-stdin"], input="x\n")  # fmt: skip
    assert refused.exit_code == 1
    assert UserStore(users_path(tmp_path)).get("bob") is None  # a refused password adds no one
