"""``essaim user …``: the accounts allowed to write to the endpoint (see ``essaim.users``).

The accounts live in ``<data dir>/users.sqlite``, the data directory of the other commands
(``--data-dir`` / ``ESSAIM_DATA_DIR``), even when ``--store`` names a remote store. A token is
printed once, alone on standard output, so that it can be piped or captured.

The shared pieces of ``essaim.cli`` (settings, consoles, error handling) are imported when a
command runs, not at import: ``essaim.cli`` imports this module to register it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from essaim.users import Role, UserStore, users_path

users_app = typer.Typer(no_args_is_help=True, help="Manage the accounts that may write.")
P = ParamSpec("P")
R = TypeVar("R")


def _friendly(command: Callable[P, R]) -> Callable[P, R]:
    """essaim.cli's error handling, looked up when the command runs."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from essaim.cli import _friendly as friendly

        return friendly(command)(*args, **kwargs)

    return run


def _users() -> UserStore:
    from essaim.cli import _State

    return UserStore(users_path(_State.settings.data_dir))


_PASSWORD_STDIN = typer.Option(
    "--password-stdin",
    help="Read the password from the first line of standard input (for scripts), not a prompt.",
)


def _read_password(from_stdin: bool) -> str:
    """The password: the first line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _set_password(name: str, password: str) -> None:
    from essaim.sessions import Sessions

    Sessions(_users()).set_password(name, password)


def _print_token(token: str, note: str) -> None:
    from essaim.cli import err

    typer.echo(token)
    err.print(note, highlight=False, markup=False)


@users_app.command("add")
@_friendly
def add_command(
    name: Annotated[str, typer.Argument(help="Letters, digits and . _ - @ (64 at most).")],
    role: Annotated[Role, typer.Option("--role", "-r", help="What the user may do.")],
    graphs: Annotated[
        str | None,
        typer.Option(
            help="Editors only: limit writes to graphs whose IRI starts with this prefix "
            "(end it with / or #). Such an editor cannot use SPARQL Update."
        ),
    ] = None,
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Create a user and print its token, once; with --password-stdin, also give it a password
    to sign in from a browser."""
    from essaim.sessions import check_password_rules

    password = _read_password(True) if password_stdin else None
    if password is not None:
        check_password_rules(password)  # before the user exists: a refused password adds no one
    user, token = _users().add(name, role, graphs)
    if password is not None:
        _set_password(user.name, password)
    _print_token(token, f"token of {user.name} ({user.role}): shown only once, keep it safe")


@users_app.command("list")
@_friendly
def list_command() -> None:
    """List the users (never their tokens)."""
    from essaim.cli import _table, console
    from essaim.sessions import Sessions

    store = _users()
    users = store.list()
    passwords = Sessions(store).with_password()
    table = _table(
        "name", "role", "graphs", "password", "IRI", "created", title=f"{len(users)} user(s)"
    )
    for user in users:
        table.add_row(
            user.name,
            user.role,
            (user.graphs or "(all)") if user.role is not Role.ANNOTATOR else "",
            "yes" if user.name in passwords else "no",
            user.iri,
            user.created.isoformat(timespec="seconds"),
        )
    console.print(table)


@users_app.command("remove")
@_friendly
def remove_command(name: Annotated[str, typer.Argument(help="The user to remove.")]) -> None:
    """Remove a user; its token stops working (within a minute for a running server)."""
    from essaim.cli import console

    _users().remove(name)
    console.print(f"user {name} removed", highlight=False, markup=False)


@users_app.command("token")
@_friendly
def token_command(name: Annotated[str, typer.Argument(help="The user.")]) -> None:
    """Give a user a new token and print it, once; the old token stops working."""
    token = _users().rotate(name)
    _print_token(token, f"new token of {name}: shown only once; the old one no longer works")


@users_app.command("passwd")
@_friendly
def passwd_command(
    name: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: Annotated[bool, _PASSWORD_STDIN] = False,
) -> None:
    """Set a user's password, to sign in from a browser (/login); the user's sessions end."""
    from essaim.cli import console
    from essaim.sessions import MIN_PASSWORD_LENGTH

    if not password_stdin:
        console.print(f"at least {MIN_PASSWORD_LENGTH} characters", highlight=False, markup=False)
    _set_password(name, _read_password(password_stdin))
    console.print(f"password of {name} set", highlight=False, markup=False)
