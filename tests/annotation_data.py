"""A small case for the annotation tests: one initiative, one document of six sections (one
character outside the BMP), two coders' annotations in a private annotation store. Built in
memory; the public part is loaded as trusted data with the ontology and the codebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.annotation.checks import CONTEXT_LENGTH
from essaim.annotation.model import Annotation
from essaim.loading import load
from essaim.resources import bundled_data
from essaim.store import EmbeddedStore

KB = ns.KB
INITIATIVE = KB + "initiative/mini-case"
DOCUMENT = KB + "document/mini-case"
TERRITORY = KB + "territory/mini-commune"
CARRIER = KB + "actor/mini-asso"
ALICE = "https://w3id.org/essaim/user/" + "a" * 32
BOB = "https://w3id.org/essaim/user/" + "b" * 32
EDITOR = "https://w3id.org/essaim/user/" + "e" * 32
CB = ns.CODEBOOK
LACK_OF_TIME = CB + "barrier/lack-of-time"
LOW_RECOGNITION = CB + "barrier/low-recognition"
ENCOUNTERED = CB + "statement-mode/encountered"

SECTIONS = [
    ("Freins", "Le manque de temps 🙂 pèse sur les bénévoles."),
    ("Reconnaissance", "L'ESS reste mal reconnue dans le département."),
    ("Animation", "Il faudra des moyens d'animation."),
    ("Contacts <script>alert(1)</script>", "Des contacts entre secteurs sont nés."),
    ("Réseau", "Le réseau s'est étendu à deux communes."),
    ("Perspectives", "Une fédération départementale est envisagée."),
]


@dataclass
class Case:
    text: str
    sections: list[tuple[int, int]]  # (start, end) of each section, heading included

    def body(self, index: int) -> tuple[int, int, str]:
        """The body sentence of section ``index``: start, end, exact."""
        start, end = self.sections[index]
        heading = SECTIONS[index][0]
        body_start = start + len(heading) + 2
        return body_start, end, self.text[body_start:end]


def case() -> Case:
    parts, sections, offset = [], [], 0
    for heading, body in SECTIONS:
        block = f"{heading}\n\n{body}"
        sections.append((offset, offset + len(block)))
        parts.append(block)
        offset += len(block) + 2
    return Case("\n\n".join(parts), sections)


def _literal(text: str) -> str:
    return ox.Literal(text).__str__()


def turtle(c: Case) -> str:
    lines = [
        f"<{INITIATIVE}> a <{ns.ESSAIM}Initiative> ;",
        f'  <{ns.DCTERMS}title> "Mini case"@en , "Mini cas"@fr ;',
        f"  <{ns.ESSAIM}caseDocument> <{DOCUMENT}> ;",
        f"  <{ns.ESSAIM}territory> <{TERRITORY}> ; <{ns.ESSAIM}carrier> <{CARRIER}> .",
        f'<{CARRIER}> a <{ns.ESSAIM}Organisation> ; <{ns.SKOS}prefLabel> "Mini asso"@fr .',
        f'<{TERRITORY}> a <{ns.ESSAIM}Territory> ; <{ns.SKOS}prefLabel> "Mini commune"@en .',
        f'<{DOCUMENT}> a <{ns.ESSAIM}CaseDocument> ; <{ns.DCTERMS}title> "Mini case"@en ;',
        f"  <{ns.ESSAIM}fullText> {_literal(c.text)} .",
    ]
    for i, ((heading, _), (start, end)) in enumerate(zip(SECTIONS, c.sections, strict=True)):
        section = f"<{KB}section/mini-case-{i + 1:02d}>"
        lines.append(
            f"{section} a <{ns.ESSAIM}Section> ; <{ns.ESSAIM}heading> {_literal(heading)} ;"
            f' <{ns.ESSAIM}order> "{i + 1}"^^<{ns.XSD}positiveInteger> ;'
            f' <{ns.ESSAIM}startOffset> "{start}"^^<{ns.XSD}nonNegativeInteger> ;'
            f' <{ns.ESSAIM}endOffset> "{end}"^^<{ns.XSD}nonNegativeInteger> ;'
            f" <{ns.DCTERMS}isPartOf> <{DOCUMENT}> ."
        )
    return "\n".join(lines) + "\n"


def public_store(folder: Path, path: Path | None = None) -> EmbeddedStore:
    """A store (in memory, or on disk at ``path``) with the ontology, the codebook and the mini
    case (trusted)."""
    store = EmbeddedStore(path) if path is not None else EmbeddedStore()
    ontology = bundled_data().ontology
    path = folder / "mini-case.ttl"
    path.write_text(turtle(case()), encoding="utf-8")
    load(store, [ontology / "essaim.ttl", ontology / "codebook"], base=ontology.parent,
         trusted=True)  # fmt: skip
    load(store, [path], base=folder, trusted=True)
    return store


def annotation(
    c: Case, section: int, concept: str, coder: str, n: int, mode: str | None = ENCOUNTERED
) -> Annotation:
    start, end, exact = c.body(section)
    return Annotation(
        iri=f"{KB}annotation/mini-{coder[-1]}-{n}",
        document=DOCUMENT,
        concept=concept,
        start=start,
        end=end,
        exact=exact,
        prefix=c.text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=c.text[end : end + CONTEXT_LENGTH],
        creator=coder,
        mode=mode,
        initiative=INITIATIVE,
    )


#: Alice codes lack of time in sections 0, 1, 2; Bob in 0, 1, 3; Bob also codes low
#: recognition in section 1. Per concept (six units): lack of time A=[1,1,1,0,0,0],
#: B=[1,1,0,1,0,0]; low recognition A=[0]*6, B=[0,1,0,0,0,0].
PLAN = [
    (0, LACK_OF_TIME, ALICE),
    (1, LACK_OF_TIME, ALICE),
    (2, LACK_OF_TIME, ALICE),
    (0, LACK_OF_TIME, BOB),
    (1, LACK_OF_TIME, BOB),
    (3, LACK_OF_TIME, BOB),
    (1, LOW_RECOGNITION, BOB),
]


def annotations() -> list[Annotation]:
    c = case()
    return [annotation(c, s, concept, coder, n) for n, (s, concept, coder) in enumerate(PLAN)]


def annotation_store(items: list[Annotation] | None = None) -> ox.Store:
    store = ox.Store()
    for item in annotations() if items is None else items:
        store.extend(item.to_quads())
    return store
