"""Which URLs may become links: the one check every page and picture makes before it puts an
IRI from the data or from a query result into ``href``.

Only ``http`` and ``https`` URLs and the node's own relative links (a path from the root) pass;
``javascript:``, ``data:``, ``vbscript:``, ``file:`` and every other scheme, protocol-relative
``//host`` links and anything a browser would rewrite before reading its scheme (controls,
spaces, backslashes) are refused, and the page shows the IRI as text instead.

>>> safe_href("https://example.org/a?b=1#c")
'https://example.org/a?b=1#c'
>>> safe_href("HTTP://EXAMPLE.ORG/")
'HTTP://EXAMPLE.ORG/'
>>> safe_href("/kb/actor/ceas-72")
'/kb/actor/ceas-72'
>>> [safe_href(u) for u in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
...                         "vbscript:msgbox", "//evil.example/", "/\\\\evil.example/",
...                         " javascript:alert(1)", "java\\tscript:alert(1)", "kb/relative", "")]
[None, None, None, None, None, None, None, None, None, None]
"""

from __future__ import annotations

import re

__all__ = ["LINKED_SCHEMES", "safe_href"]

#: The schemes that become links.
LINKED_SCHEMES = ("http", "https")

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What the WHATWG URL parser strips or reinterprets before it reads a scheme or a host: C0
# controls and space, DEL, and the backslash it reads as a slash.
_REWRITTEN = re.compile(r"[\x00-\x20\x7f\\]")


def safe_href(url: str) -> str | None:
    """``url`` when a browser may follow it from a page of this node: an ``http(s)`` URL or a
    path from the node's root; None for anything else (show it as text)."""
    if not url or _REWRITTEN.search(url):
        return None
    if url.startswith("/"):
        return None if url.startswith("//") else url
    scheme = _SCHEME.match(url)
    if scheme is not None and scheme.group(1).lower() in LINKED_SCHEMES:
        return url
    return None
