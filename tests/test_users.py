"""User accounts and bearer tokens: the private SQLite store, token checks, permissions, and the
``essaim user`` commands."""

from __future__ import annotations

import re
import sqlite3
import stat
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from essaim.cli import app
from essaim.users import USER_IRI_BASE, Role, User, UserError, UserStore, users_path

PREFIX = "https://w3id.org/essaim/graph/kb/sarthe/"
runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(users_path(tmp_path), cache_lifetime=0)


def _secret(token: str) -> str:
    return token.split("_", 2)[2]


def test_users_path(tmp_path: Path) -> None:
    assert users_path(tmp_path) == tmp_path / "users.sqlite"


def test_add_get_list(store: UserStore) -> None:
    alice, token = store.add("alice", Role.EDITOR, PREFIX)
    bob, _ = store.add("bob@example.org", Role.ADMIN)
    assert re.fullmatch(r"essaim_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}", token)
    assert alice.role is Role.EDITOR and alice.graphs == PREFIX
    assert alice.created.tzinfo is not None
    assert store.get("alice") == alice
    assert store.get("carol") is None
    assert store.list() == [alice, bob]


def test_reading_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    store = UserStore(users_path(tmp_path / "data"))
    assert store.list() == [] and store.get("alice") is None
    assert store.authenticate("essaim_" + "a" * 12 + "_" + "b" * 43) is None
    assert not (tmp_path / "data").exists()


def test_the_file_is_private(store: UserStore) -> None:
    store.add("alice", Role.ADMIN)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_tokens_are_stored_hashed(store: UserStore) -> None:
    tokens = [store.add(f"user{i}", Role.EDITOR)[1] for i in range(3)]
    tokens.append(store.rotate("user0"))
    stored = b"".join(p.read_bytes() for p in store.path.parent.glob("users.sqlite*"))
    for token in tokens:
        assert _secret(token).encode() not in stored
        assert token.encode() not in stored


def test_authenticate(store: UserStore) -> None:
    alice, token = store.add("alice", Role.EDITOR)
    assert store.authenticate(token) == alice
    head, secret = token[:-43], _secret(token)
    wrong = head + ("A" if secret[0] != "A" else "B") + secret[1:]
    assert store.authenticate(wrong) is None
    unknown_id = "essaim_" + ("Z" * 12 if token[7] != "Z" else "Y" * 12) + "_" + secret
    assert store.authenticate(unknown_id) is None


@pytest.mark.parametrize(
    "garbled",
    [
        "",
        "Bearer x",
        "essaim__",
        "essaim_",
        "essaim_éééééééééééé_" + "é" * 43,
        "essaim_\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662_"
        + "a" * 43,
        "x" * 10_000,
        "essaim_" + "a" * 10_000,
        "\x00",
        "\ud800",
    ],
)
def test_garbled_tokens_are_refused(store: UserStore, garbled: str) -> None:
    _, token = store.add("alice", Role.ADMIN)
    assert store.authenticate(garbled) is None
    assert store.authenticate(f"Bearer {token}") is None
    assert store.authenticate(token + "\n") is None
    assert store.authenticate(token) is not None


def test_duplicate_name(store: UserStore) -> None:
    store.add("alice", Role.EDITOR)
    with pytest.raises(UserError, match="a user named alice exists already"):
        store.add("alice", Role.ADMIN)
    with pytest.raises(UserError, match="exists already"):
        store.add("ALICE", Role.ADMIN)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("a" * 65, "longer than 64"),
        ("alice smith", "' '"),
        ("alice\n", "'\\\\n'"),
        ("a/b", "'/'"),
        ("[bold]", "'\\['"),
    ],
)
def test_invalid_names(store: UserStore, name: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        store.add(name, Role.EDITOR)


def test_valid_names(store: UserStore) -> None:
    for name in ("a", "a" * 64, "jean-luc.picard_2@example.org", "hélène"):
        assert store.add(name, Role.ANNOTATOR)[0].name == name


@pytest.mark.parametrize(
    "prefix",
    ["", "sarthe/", "/graph/", "ftp://example.org/", "https://", "https://x.org/a b", "urn:x:"],
)
def test_invalid_prefixes(store: UserStore, prefix: str) -> None:
    with pytest.raises(UserError, match="not an absolute http"):
        store.add("alice", Role.EDITOR, prefix)
    assert store.get("alice") is None


def test_only_editors_are_limited_to_graphs(store: UserStore) -> None:
    for role in (Role.ADMIN, Role.ANNOTATOR):
        with pytest.raises(UserError, match="only an editor"):
            store.add("alice", role, PREFIX)


def test_unknown_role(store: UserStore) -> None:
    with pytest.raises(UserError, match="unknown role"):
        store.add("alice", "superuser")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("role", "graphs", "inside", "outside", "update"),
    [
        (Role.ANNOTATOR, None, False, False, False),
        (Role.ANNOTATOR, PREFIX, False, False, False),
        (Role.EDITOR, None, True, True, True),
        (Role.EDITOR, PREFIX, True, False, False),
        (Role.ADMIN, None, True, True, True),
        (Role.ADMIN, PREFIX, True, False, True),
    ],
)
def test_permissions(
    role: Role, graphs: str | None, inside: bool, outside: bool, update: bool
) -> None:
    user = User("u", role, USER_IRI_BASE + "0" * 32, graphs, datetime.now(UTC))
    assert user.may_write_graph(PREFIX + "case.ttl") is inside
    assert user.may_write_graph("https://w3id.org/essaim/graph/kb/gironde/case.ttl") is outside
    assert user.may_update() is update


def test_remove(store: UserStore) -> None:
    _, token = store.add("alice", Role.EDITOR)
    assert store.authenticate(token) is not None
    store.remove("alice")
    assert store.authenticate(token) is None
    assert store.get("alice") is None
    with pytest.raises(UserError, match="no user named 'alice'"):
        store.remove("alice")


def test_rotate(store: UserStore) -> None:
    alice, old = store.add("alice", Role.EDITOR)
    new = store.rotate("alice")
    assert new != old
    assert store.authenticate(old) is None
    assert store.authenticate(new) == alice
    with pytest.raises(UserError, match="no user named 'bob'"):
        store.rotate("bob")


def test_the_cache_is_cleared_by_changes_in_the_same_process(tmp_path: Path) -> None:
    store = UserStore(users_path(tmp_path), cache_lifetime=3600)
    _, token = store.add("alice", Role.EDITOR)
    assert store.authenticate(token) is not None
    assert store.authenticate(token) is not None  # from the cache
    store.remove("alice")
    assert store.authenticate(token) is None


def test_a_change_from_another_process_waits_for_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [time.monotonic()]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    server = UserStore(users_path(tmp_path), cache_lifetime=60)
    _, token = server.add("alice", Role.EDITOR)
    assert server.authenticate(token) is not None
    UserStore(users_path(tmp_path)).remove("alice")  # the command line, say
    clock[0] += 59
    assert server.authenticate(token) is not None  # still remembered
    clock[0] += 2
    assert server.authenticate(token) is None


def test_iris_are_random_and_pseudonymous(store: UserStore) -> None:
    users = [store.add(name, Role.ANNOTATOR)[0] for name in ("alice", "bob", "carol")]
    iris = {user.iri for user in users}
    assert len(iris) == 3
    for user in users:
        assert re.fullmatch(re.escape(USER_IRI_BASE) + "[0-9a-f]{32}", user.iri)
        assert user.name not in user.iri
    store.remove("alice")
    assert store.add("alice", Role.ANNOTATOR)[0].iri not in iris


def test_threads_share_a_store(store: UserStore) -> None:
    tokens = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            _, tokens[i] = store.add(f"user{i}", Role.EDITOR)
            assert store.authenticate(tokens[i]) is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store.list()) == 8


def test_a_newer_schema_is_refused(store: UserStore) -> None:
    store.add("alice", Role.ADMIN)
    with closing(sqlite3.connect(store.path)) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(UserError, match="newer"):
        store.list()


# -- the command line ------------------------------------------------------------------------


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), "user", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_add_prints_a_token_that_works(tmp_path: Path) -> None:
    code, out, err = _run(tmp_path, "add", "alice", "--role", "editor", "--graphs", PREFIX)
    assert code == 0, err
    [token] = out.splitlines()
    assert "only once" in err and token not in err
    user = UserStore(users_path(tmp_path)).authenticate(token)
    assert user is not None and user.name == "alice" and user.graphs == PREFIX
    code, out, _ = _run(tmp_path, "add", "bob", "-r", "admin")
    assert code == 0 and len(out.splitlines()) == 1


def test_cli_list_shows_no_secret(tmp_path: Path) -> None:
    _, token, _ = _run(tmp_path, "add", "alice", "-r", "editor", "--graphs", PREFIX)
    code, out, _ = _run(tmp_path, "list")
    assert code == 0
    assert "alice" in out and "editor" in out and PREFIX in out and USER_IRI_BASE in out
    assert _secret(token.strip()) not in out and token.strip()[7:19] not in out


def test_cli_token_rotates(tmp_path: Path) -> None:
    _, old, _ = _run(tmp_path, "add", "alice", "-r", "admin")
    code, new, err = _run(tmp_path, "token", "alice")
    assert code == 0 and "only once" in err
    store = UserStore(users_path(tmp_path))
    assert store.authenticate(old.strip()) is None
    assert store.authenticate(new.strip()) is not None


def test_cli_remove(tmp_path: Path) -> None:
    _run(tmp_path, "add", "alice", "-r", "admin")
    code, out, _ = _run(tmp_path, "remove", "alice")
    assert code == 0 and "removed" in out
    assert UserStore(users_path(tmp_path)).get("alice") is None


@pytest.mark.parametrize(
    "args",
    [
        ("remove", "nobody"),
        ("token", "nobody"),
        ("add", "alice smith", "-r", "editor"),
        ("add", "alice", "-r", "admin", "--graphs", PREFIX),
        ("add", "alice", "-r", "editor", "--graphs", "sarthe"),
    ],
)
def test_cli_errors_are_one_sentence(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out, err = _run(tmp_path, *args)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "add", "alice", "-r", "superuser")
    assert code == 2 and out == ""
    assert not users_path(tmp_path).exists()
