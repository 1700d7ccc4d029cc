"""Updates that cannot change a protected graph, whatever they say.

A user's update runs as one SPARQL update text, atomic in the store (pyoxigraph applies an
update as one transaction: when any operation fails, nothing is written):

```
<the user's operations>
;
INSERT { GRAPH <urn:uuid:R> { <urn:uuid:R> <urn:uuid:R> <urn:uuid:R> } }
WHERE { <the protected graph is as it was before the update> } ;
DROP GRAPH <urn:uuid:R>
;
<essaim's own operations: the write record>
```

The check runs after the user's operations, inside the same transaction, so it sees what they
did to the protected graph however they did it (``DROP ALL``, ``GRAPH ?g``, escapes, keywords
written together...): syntax cannot fool it. When the graph is unchanged, the ``INSERT`` makes
the marker graph ``R`` (a fresh random IRI no user text can know or name) and ``DROP GRAPH``
removes it again; otherwise ``DROP GRAPH`` of the missing graph fails, and the whole update with
it: nothing changes, the store raises :class:`ProtectedGraphChanged`. An ``INSERT`` that cannot
run, a verdict that is unbound or no row at all leave the marker missing too: the check fails
closed. Essaim's own operations come after the check, so they may write the protected graph.
The operations appended use absolute IRIs only (a ``PREFIX`` or ``BASE`` of the user's text
carries over), and hold no ``'''`` or ``\"\"\"``, so a user's text left open makes the whole update
fail to parse rather than swallow the check.

How "as it was" is decided depends on the store: the embedded store gives pyoxigraph a custom
aggregate (Python, called inside the transaction) that compares every quad of the graph with
the set read before the update; a remote store sends the quads read before as inline data.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox

from essaim.store.base import ProtectedGraphChanged

#: The verdict the check's WHERE clause must bind to ``?verdict``.
UNCHANGED = ox.Literal("unchanged")


def marker() -> ox.NamedNode:
    """A fresh marker graph for one update."""
    return ox.NamedNode(f"urn:uuid:{uuid.uuid4()}")


def guarded_text(user: str, check: str, mark: ox.NamedNode, then: str) -> str:
    """The update text: the user's operations, the check (a WHERE group that binds ``?verdict``
    to :data:`UNCHANGED` when the protected graph is unchanged), essaim's own operations."""
    operations = user.rstrip().removesuffix(";")
    parts = [operations] if operations.strip() else []
    parts.append(
        f"INSERT {{ GRAPH {mark} {{ {mark} {mark} {mark} }} }}\n"
        f"WHERE {{ {check}\n  FILTER(sameTerm(?verdict, {UNCHANGED})) }} ;\n"
        f"DROP GRAPH {mark}"
    )
    if then.strip():
        parts.append(then)
    return "\n;\n".join(parts)


def refused(protected: str, mark: ox.NamedNode, message: str) -> ProtectedGraphChanged | None:
    """The error to raise when the store's message says the marker graph was missing."""
    if mark.value not in message:
        return None
    return ProtectedGraphChanged(
        f"the update would change the graph {protected}, which essaim alone writes: nothing "
        "was changed"
    )
