#!/usr/bin/env python3
"""The annotation page's target (issue 12): a 30,000-character document carrying 500 annotations
shows its highlights within a second of navigation in headless Chromium.

A SYNTHETIC load, marked as such: one case document of ``--chars`` characters in sections of
about 1,000, and ``--annotations`` annotations of one coder on it (concepts of the codebook's
codable schemes, passages of 20–200 characters), written in a fresh data directory; a real
``essaim serve`` on loopback; Debian's headless ``chromium`` driven by playwright, signed in as
the coder. Each run measures, from the navigation's start (``performance.timeOrigin``) to the
moment ``static/annotate.js`` sets the DOM marker ``data-highlights`` (a MutationObserver
installed before the page's scripts), and reads the marker's value (the highlights drawn).
Results to ``results/<timestamp>-annotate-page.json`` and ``results/latest-annotate-page.md``.

    .venv/bin/python benchmarks/annotate_page.py [--runs 5]

Needs ``make setup`` (the text annotator bundle, ``ESSAIM_RECOGITO_DIR`` otherwise) and
``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run as harness  # noqa: E402

from essaim import namespaces as ns  # noqa: E402
from essaim.annotation.model import Annotation  # noqa: E402
from essaim.annotation.storage import AnnotationStore, annotations_path  # noqa: E402
from essaim.config import Settings  # noqa: E402
from essaim.loading import load  # noqa: E402
from essaim.resources import bundled_data  # noqa: E402
from essaim.sessions import Sessions  # noqa: E402
from essaim.store import open_store  # noqa: E402
from essaim.users import Role, UserStore, users_path  # noqa: E402

SYNTHETIC = ns.KB + "synthetic/"
DOCUMENT = SYNTHETIC + "document/annotate-page"
INITIATIVE = SYNTHETIC + "initiative/annotate-page"
PASSWORD = "synthetic-benchmark-password-1"  # noqa: S105 (a throw-away node's)
WORDS = (
    "réseau", "acteurs", "économie", "sociale", "solidaire", "territoire", "projet",
    "bénévoles", "animation", "partenariat", "moyens", "reconnaissance", "coopération",
)  # fmt: skip
OBSERVER = """
new MutationObserver(function (changes, observer) {
  for (const change of changes) {
    if (change.attributeName === "data-highlights") {
      window.__highlightsAt = performance.now();
      window.__highlights = change.target.getAttribute("data-highlights");
      observer.disconnect();
    }
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-highlights"] });
"""


def _lit(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def case_turtle(chars: int, rng: random.Random) -> tuple[str, str]:
    """The document's text and its Turtle (initiative, document, sections)."""
    blocks, sections, offset = [], [], 0
    while offset < chars:
        words: list[str] = []
        while len(" ".join(words)) < 1000:
            words.append(rng.choice(WORDS))
        block = " ".join(words).capitalize() + "."
        blocks.append(block)
        sections.append((offset, offset + len(block)))
        offset += len(block) + 2
    text = "\n\n".join(blocks)[:chars]
    e = ns.ESSAIM
    lines = [
        f"<{INITIATIVE}> a <{e}Initiative> ; <{ns.DCTERMS}title> "
        f'"Synthetic annotation-page case"@en ; <{e}caseDocument> <{DOCUMENT}> .',
        f"<{DOCUMENT}> a <{e}CaseDocument> ; <{ns.DCTERMS}title> "
        f'"Synthetic annotation-page case (benchmark)"@en ; <{e}fullText> {_lit(text)} .',
    ]
    for i, (start, end) in enumerate(sections):
        end = min(end, len(text))
        if start >= end:
            break
        lines.append(
            f"<{SYNTHETIC}section/annotate-page-{i + 1:03d}> a <{e}Section> ; "
            f'<{e}heading> "Section {i + 1}" ; <{e}order> "{i + 1}"^^<{ns.XSD}positiveInteger> ; '
            f'<{e}startOffset> "{start}"^^<{ns.XSD}nonNegativeInteger> ; '
            f'<{e}endOffset> "{end}"^^<{ns.XSD}nonNegativeInteger> ; '
            f"<{ns.DCTERMS}isPartOf> <{DOCUMENT}> ."
        )
    return text, "\n".join(lines) + "\n"


def prepare(data_dir: Path, chars: int, count: int, seed: int) -> str:
    """The data directory: ontology, codebook and the synthetic case; a coder and their
    ``count`` annotations. Returns the coder's name."""
    rng = random.Random(seed)  # noqa: S311 (a synthetic load, not secrets)
    data = bundled_data()
    text, turtle = case_turtle(chars, rng)
    case = data_dir.parent / "annotate-page.ttl"
    case.write_text(turtle, encoding="utf-8")
    store = open_store(Settings(data_dir=data_dir))
    try:
        load(store, [data.ontology, case], base=data_dir.parent, trusted=True)
        concepts = [
            row["c"].value  # type: ignore[index]
            for row in store.query(  # type: ignore[union-attr]
                f"SELECT ?c WHERE {{ ?c <{ns.SKOS}inScheme>/<{ns.ESSAIM}codableOnPassage> true }}"
            )
        ]
    finally:
        store.close()
    users = UserStore(users_path(data_dir), cache_lifetime=0)
    coder, _ = users.add("coder", Role.ANNOTATOR)
    Sessions(users).set_password("coder", PASSWORD)
    annotations = AnnotationStore(annotations_path(data_dir))
    made = []
    for _ in range(count):
        start = rng.randrange(0, len(text) - 200)
        end = start + rng.randint(20, 200)
        made.append(
            Annotation(
                iri=f"{ns.KB}annotation/synthetic-{rng.getrandbits(64):016x}",
                document=DOCUMENT,
                concept=rng.choice(concepts),
                start=start,
                end=end,
                exact=text[start:end],
                prefix=text[max(0, start - 32) : start],
                suffix=text[end : end + 32],
                creator=coder.iri,
                memo="synthetic (benchmark)",
                initiative=INITIATIVE,
            )
        )
    annotations.put_all(made)
    annotations.close()
    return "coder"


def serve(root: Path, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ)
    recogito = harness_recogito()
    if recogito is not None:
        env.setdefault("ESSAIM_RECOGITO_DIR", str(recogito))
    binary = Path(sys.executable).with_name("essaim")
    log = (root / "serve.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 (our own essaim, fixed arguments)
        [str(binary), "--data-dir", str(data_dir), "serve", "--no-load", "--port", str(port),
         "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"essaim serve did not start:\n{(root / 'serve.log').read_text()}")


def harness_recogito() -> Path | None:
    """The text annotator bundle of the main checkout or this one, when installed."""
    for base in (HERE.parent, Path("/work/main")):
        found = base / ".recogito/node_modules/@recogito/text-annotator/dist"
        if found.is_dir():
            return found
    return None


def measure(url: str, coder: str, runs: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    target = "/annotate/document?iri=" + quote(DOCUMENT, safe="")
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/login?next=" + quote(target, safe=""))
        form = page.locator("#password-form")
        form.get_by_label("Name").fill(coder)
        form.get_by_label("Password").fill(PASSWORD)
        form.get_by_role("button", name="Sign in").click()
        page.wait_for_url(url + target)
        context.add_init_script(OBSERVER)
        for _ in range(runs):
            page = context.new_page()
            page.goto(url + target)
            page.wait_for_selector("[data-highlights]", state="attached", timeout=30_000)
            out.append(
                {
                    "ms": page.evaluate("window.__highlightsAt"),
                    "highlights": int(page.evaluate("window.__highlights")),
                    # where the time goes: the page's HTML, the annotation API's pages
                    "dom_content_loaded_ms": page.evaluate(
                        "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                    ),
                    "api_ms": page.evaluate(
                        "performance.getEntriesByType('resource')"
                        ".filter(e => e.name.includes('/api/annotations'))"
                        ".map(e => [e.startTime, e.responseEnd])"
                    ),
                }
            )
            page.close()
        browser.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--chars", type=int, default=30_000)
    parser.add_argument("--annotations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="essaim-annotate-page-") as folder:
        root = Path(folder)
        data_dir = root / "data"
        coder = prepare(data_dir, args.chars, args.annotations, args.seed)
        process, url = serve(root, data_dir)
        try:
            runs = measure(url, coder, args.runs)
        finally:
            process.terminate()
            process.wait(timeout=30)
    times = [r["ms"] for r in runs]
    report: dict[str, Any] = {
        "benchmark": "annotate-page",
        "synthetic": True,
        "note": "SYNTHETIC load: one generated case document and one coder's generated codes",
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": harness.machine(),
        "arguments": {k: v for k, v in vars(args).items() if k != "out"},
        "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "runs": runs,
        "median_ms": statistics.median(times),
        "target_ms": 1000,
        "met": statistics.median(times) < 1000,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"{stamp}-annotate-page.json").write_text(json.dumps(report, indent=2) + "\n")
    shown = sorted({r["highlights"] for r in runs})
    text = (
        "# The annotation page: navigation to highlights drawn\n\n"
        f"**SYNTHETIC load**: one document of {args.chars} characters carrying "
        f"{args.annotations} annotations of one coder; headless Debian chromium (playwright), "
        f"{args.runs} navigations.\n\n"
        f"Median {report['median_ms']:.0f} ms from navigation start to `data-highlights` "
        f"(runs: {', '.join(f'{t:.0f}' for t in times)} ms); target under 1,000 ms: "
        f"{'met' if report['met'] else 'not met'}. Highlights the page reports drawn: "
        f"{', '.join(map(str, shown))} of {args.annotations}. Median DOMContentLoaded "
        f"{statistics.median(r['dom_content_loaded_ms'] for r in runs):.0f} ms; the "
        "annotation API's pages (start–end, ms) in the JSON.\n"
    )
    (args.out / "latest-annotate-page.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
