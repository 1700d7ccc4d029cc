"""The French official geography (INSEE COG 2026) as territories.

**How territory IRIs are minted** (``https://w3id.org/essaim/kb/territory/{local}``): the local
name is a level prefix and the official code, never a name, so that it is stable (a commune
renamed keeps its IRI; a new code — a merger — is a new territory) and collision-free (a
commune and its commune déléguée share an INSEE code in 584 cases, a région and a collectivité
d'outre-mer can share a code with a département, names repeat):

==========================  ===============================  ==============================
what                        local name                       code
==========================  ===============================  ==============================
région                      ``fr-region-{code}``             INSEE (2 digits)
collectivité d'outre-mer    ``fr-com-{code}``                INSEE (3 digits)
département                 ``fr-departement-{code}``        INSEE (2A, 2B, 971…)
EPCI à fiscalité propre     ``fr-epci-{siren}``              SIREN (9 digits)
commune                     ``fr-commune-{code}``            INSEE (5 characters)
commune déléguée            ``fr-commune-deleguee-{code}``   INSEE
commune associée            ``fr-commune-associee-{code}``   INSEE
arrondissement municipal    ``fr-arrondissement-municipal-{code}``  INSEE
==========================  ===============================  ==============================

Territories that the hand-written ``kb/territories/fr-insee-cog.ttl`` already describes keep
the IRI they have there (``territory:sarthe`` for département 72, ``territory:pays-de-la-loire``,
``territory:le-mans-metropole``, ``territory:le-mans``, ``territory:france``): the generator
reads that file, maps each (level, code) it declares to its IRI, and refers to those IRIs
instead of minting new ones (one IRI per territory, no owl:sameAs needed).

Levels: régions and collectivités d'outre-mer ``territory-level:region`` (a first-level
division), départements ``departement``, EPCI ``epci``, communes ``commune``, and the parts of a
commune (communes déléguées and associées, arrondissements municipaux of Paris, Lyon, Marseille)
``neighbourhood``. ``essaim:partOf``: a commune is part of its EPCI and its département; a part
of a commune, of its commune; an EPCI, of the départements of its members; a département, of
its région; a région or collectivité, of France. The vintage is in ``essaim:codeScheme``
("INSEE COG 2026"; "SIREN (DGCL, liste des EPCI à fiscalité propre 2026)").

The default knowledge base (``kb/territories/fr-cog-2026.ttl``) holds the régions,
collectivités, départements and EPCI, plus every commune (or part of a commune) that a file of
the knowledge base refers to, with its commune when it is a part. The full commune layer
(37,590) is ``build/kb/territories/fr-communes-cog-2026.ttl``, made by ``make kb`` and loaded
with ``essaim load build/kb/territories/fr-communes-cog-2026.ttl``; its territories are part of
the EPCI and départements of the default knowledge base.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyoxigraph as ox

from essaim import namespaces as ns
from essaim.ingest.sources import ROOT, SOURCES
from essaim.ingest.sources.common import (
    DC,
    RDF_TYPE,
    SKOS,
    TERRITORY,
    E,
    Graph,
    Metadata,
    concept,
    header,
    read_tsv,
    territory,
    write_tsv,
)

COG = SOURCES / "fr-insee-cog"
COMMUNES = COG / "communes.DERIVED.tsv"
EPCI = COG / "epci.DERIVED.tsv"
HAND_WRITTEN = PurePosixPath("kb/territories/fr-insee-cog.ttl")
DEFAULT_FILE = PurePosixPath("kb/territories/fr-cog-2026.ttl")
FULL_FILE = PurePosixPath("build/kb/territories/fr-communes-cog-2026.ttl")

COG_SCHEME = "INSEE COG 2026"
EPCI_SCHEME = "SIREN (DGCL, liste des EPCI à fiscalité propre 2026)"
LICENCE_OUVERTE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
PACKAGE = "https://github.com/etalab/decoupage-administratif"
INSEE_COG = "https://www.insee.fr/fr/information/2560452"
AGENT = ox.NamedNode(ns.KB + "agent/territories-importer")
INSEE = ox.NamedNode(ns.KB + "actor/insee")
RIGHTS = (
    "French official geography, millésime 2026: INSEE's Code officiel géographique (régions, "
    "départements, communes) and the DGCL list of EPCI à fiscalité propre 2026, packaged by "
    "Etalab (npm @etalab/decoupage-administratif 6.0.0), under the Licence Ouverte / Open "
    "Licence (Etalab). Attribution: INSEE (COG), DGCL (EPCI), Etalab (packaging)."
)

#: Level prefix of the IRI and codebook level of each kind of territory.
KINDS = {
    "region": ("fr-region", "region"),
    "com": ("fr-com", "region"),
    "departement": ("fr-departement", "departement"),
    "epci": ("fr-epci", "epci"),
    "commune-actuelle": ("fr-commune", "commune"),
    "commune-deleguee": ("fr-commune-deleguee", "neighbourhood"),
    "commune-associee": ("fr-commune-associee", "neighbourhood"),
    "arrondissement-municipal": ("fr-arrondissement-municipal", "neighbourhood"),
}
KIND_NOTES = {
    "com": "Collectivité d'outre-mer",
    "commune-deleguee": "Commune déléguée",
    "commune-associee": "Commune associée",
    "arrondissement-municipal": "Arrondissement municipal",
}
_USED = re.compile(
    r"(?:territory:|" + re.escape(TERRITORY) + r")"
    r"(fr-(?:commune-deleguee|commune-associee|arrondissement-municipal|commune)-[0-9AB]{5})\b"
)


@dataclass(frozen=True)
class Commune:
    code: str
    kind: str
    name: str
    departement: str
    region: str
    parent: str
    postcodes: tuple[str, ...]


@dataclass(frozen=True)
class Epci:
    siren: str
    kind: str
    name: str
    members: tuple[str, ...]


# --- extract ------------------------------------------------------------------------------------


def extract(original: Path, target: Path = COG) -> tuple[int, int]:
    """The committed extracts from the package's communes.json and epci.json: only the columns
    the importer uses, in the package's order."""
    communes = json.loads((original / "communes.json").read_text(encoding="utf-8"))
    write_tsv(
        target / COMMUNES.name,
        ["code", "type", "nom", "departement", "region", "parent", "codes_postaux"],
        (
            [
                c["code"],
                c["type"],
                c["nom"],
                c.get("departement", ""),
                c.get("region", ""),
                c.get("chefLieu") or c.get("commune") or "",
                " ".join(c.get("codesPostaux", [])),
            ]
            for c in communes
        ),
        "Extract of communes.json of @etalab/decoupage-administratif 6.0.0 (INSEE COG 2026, "
        "Licence Ouverte): see kb/sources/README.md.\nparent: the commune of a commune déléguée "
        "or associée (chefLieu) or of an arrondissement municipal (commune).",
    )
    epcis = json.loads((original / "epci.json").read_text(encoding="utf-8"))
    write_tsv(
        target / EPCI.name,
        ["siren", "type", "nom", "membres"],
        (
            [e["code"], e["type"], e["nom"], " ".join(m["code"] for m in e["membres"])]
            for e in epcis
        ),
        "Extract of epci.json of @etalab/decoupage-administratif 6.0.0 (DGCL, EPCI à fiscalité "
        "propre 2026, Licence Ouverte): see kb/sources/README.md.\nmembres: INSEE codes of the "
        "member communes.",
    )
    return len(communes), len(epcis)


# --- reading --------------------------------------------------------------------------------------


def communes() -> list[Commune]:
    return [
        Commune(
            r["code"],
            r["type"],
            r["nom"],
            r["departement"],
            r["region"],
            r["parent"],
            tuple(r["codes_postaux"].split()),
        )
        for r in read_tsv(COMMUNES)
    ]


def epcis() -> list[Epci]:
    return [
        Epci(r["siren"], r["type"], r["nom"], tuple(r["membres"].split())) for r in read_tsv(EPCI)
    ]


def regions() -> list[dict[str, str]]:
    return list(json.loads((COG / "regions.json").read_text(encoding="utf-8")))


def departements() -> list[dict[str, str]]:
    return list(json.loads((COG / "departements.json").read_text(encoding="utf-8")))


def hand_written(root: Path = ROOT) -> dict[tuple[str, str], str]:
    """(level, official code) → IRI of the territories kb/territories/fr-insee-cog.ttl
    describes by hand."""
    store = ox.Store()
    store.load(path=str(root / HAND_WRITTEN), format=ox.RdfFormat.TURTLE)
    found = {}
    query = f"""SELECT ?t ?level ?code WHERE {{ ?t <{ns.ESSAIM}territoryLevel> ?level ;
        <{ns.ESSAIM}officialCode> ?code }}"""
    for row in store.query(query):  # type: ignore[union-attr]
        level = row["level"].value.rsplit("/", 1)[-1]
        found[(level, row["code"].value)] = row["t"].value
    return found


class Geography:
    """The COG with IRI minting (kept hand-written IRIs first)."""

    def __init__(self, root: Path = ROOT) -> None:
        self.kept = hand_written(root)
        self.regions = regions()
        self.departements = departements()
        self.epcis = epcis()
        self.communes = communes()
        self.com_codes = {r["code"] for r in self.regions if r["zone"] == "com"}
        self.epci_of: dict[str, str] = {m: e.siren for e in self.epcis for m in e.members}
        self.by_key = {(c.kind, c.code): c for c in self.communes}
        self.france = ox.NamedNode(self.kept[("country", "FR")])
        self._by_postcode: dict[str, list[Commune]] = {}

    def iri(self, kind: str, code: str) -> ox.NamedNode:
        """The territory of a kind and a code (see the module docstring)."""
        prefix, level = KINDS[kind]
        kept = self.kept.get((level, code)) if kind not in KIND_NOTES else None
        return ox.NamedNode(kept) if kept else territory(f"{prefix}-{code}")

    def departement_iri(self, code: str) -> ox.NamedNode:
        return self.iri("com" if code in self.com_codes else "departement", code)

    def commune_by_postcode(self, postcode: str, departement: str) -> Commune | None:
        """The one commune (or arrondissement municipal) of ``departement`` whose postcodes
        include ``postcode``; None when there are none or several."""
        if not self._by_postcode:
            for c in self.communes:
                if c.kind in ("commune-actuelle", "arrondissement-municipal"):
                    for code in c.postcodes:
                        self._by_postcode.setdefault(code, []).append(c)
        found = [c for c in self._by_postcode.get(postcode, []) if c.departement == departement]
        arrondissements = [c for c in found if c.kind == "arrondissement-municipal"]
        if len(arrondissements) == 1:
            return arrondissements[0]
        return found[0] if len(found) == 1 else None

    # --- triples ----------------------------------------------------------------------------------

    def _territory(
        self,
        g: Graph,
        node: ox.NamedNode,
        name: str,
        level: str,
        code: str,
        scheme: str,
        part_of: Iterable[ox.NamedNode],
        note: str | None = None,
    ) -> None:
        g.add(node, RDF_TYPE, E("Territory"))
        g.add(node, SKOS("prefLabel"), ox.Literal(name, language="fr"))
        g.add(node, SKOS("prefLabel"), ox.Literal(name, language="en"))
        if note:
            g.add(node, SKOS("note"), ox.Literal(note, language="fr"))
        g.add(node, E("territoryLevel"), concept("territory-level", level))
        g.add(node, E("officialCode"), ox.Literal(code))
        g.add(node, E("codeScheme"), ox.Literal(scheme))
        for parent in part_of:
            g.add(node, E("partOf"), parent)

    def _is_kept(self, node: ox.NamedNode) -> bool:
        return node.value in self.kept.values()

    def commune_triples(self, g: Graph, commune: Commune) -> None:
        node = self.iri(commune.kind, commune.code)
        if self._is_kept(node):
            return
        if commune.kind == "commune-actuelle":
            parents = []
            if commune.code in self.epci_of:
                parents.append(self.iri("epci", self.epci_of[commune.code]))
            parents.append(self.departement_iri(commune.departement))
        else:
            parents = [self.iri("commune-actuelle", commune.parent)]
        _, level = KINDS[commune.kind]
        self._territory(
            g, node, commune.name, level, commune.code, COG_SCHEME, parents,
            KIND_NOTES.get(commune.kind),
        )  # fmt: skip

    def upper_triples(self, g: Graph) -> None:
        """Régions, collectivités d'outre-mer, départements, EPCI."""
        for region in self.regions:
            kind = "com" if region["zone"] == "com" else "region"
            node = self.iri(kind, region["code"])
            if not self._is_kept(node):
                _, level = KINDS[kind]
                self._territory(
                    g, node, region["nom"], level, region["code"], COG_SCHEME, [self.france],
                    KIND_NOTES.get(kind),
                )  # fmt: skip
        for dep in self.departements:
            if dep["code"] in self.com_codes:
                continue  # the collectivité itself (one territory, not two)
            node = self.iri("departement", dep["code"])
            if not self._is_kept(node):
                self._territory(
                    g, node, dep["nom"], "departement", dep["code"], COG_SCHEME,
                    [self.iri("region", dep["region"])],
                )  # fmt: skip
        departement_of = {
            c.code: c.departement for c in self.communes if c.kind == "commune-actuelle"
        }
        for epci in self.epcis:
            node = self.iri("epci", epci.siren)
            if self._is_kept(node):
                continue
            deps = sorted({departement_of[m] for m in epci.members if m in departement_of})
            self._territory(
                g, node, epci.name, "epci", epci.siren, EPCI_SCHEME,
                [self.departement_iri(d) for d in deps],
                f"{epci.kind}, {len(epci.members)} communes membres",
            )  # fmt: skip

    def metadata(self, g: Graph, file: PurePosixPath, title: str) -> None:
        g.metadata(
            file,
            Metadata(
                title=title,
                license=LICENCE_OUVERTE,
                rights=RIGHTS,
                rights_holder=INSEE,
                sources=(INSEE_COG, f"{PACKAGE}/tree/v6.0.0"),
                derived_from=(f"{PACKAGE}/tree/v6.0.0",),
                agent=AGENT,
            ),
        )
        g.add(g.triples[0].subject, DC("temporal"), ox.Literal("2026"))  # type: ignore[arg-type]

    def default_graph(self, used: set[str]) -> Graph:
        g = Graph()
        self.metadata(
            g,
            DEFAULT_FILE,
            "French official geography (COG 2026): régions, collectivités d'outre-mer, "
            "départements, EPCI and the communes the knowledge base uses",
        )
        g.agent(AGENT, "essaim importer of territories (COG, countries, UK areas)")
        g.add(INSEE, RDF_TYPE, E("Organisation"))
        g.add(INSEE, SKOS("prefLabel"), ox.Literal("INSEE", language="fr"))
        g.add(INSEE, E("actorType"), concept("actor-type", "state-service"))
        g.add(INSEE, E("territory"), self.france)
        self.upper_triples(g)
        wanted: list[Commune] = []
        for local in sorted(used):
            commune = self.commune_of_local(local)
            if commune is None:
                raise ValueError(f"{local}: no such territory in {COMMUNES.name} (COG 2026)")
            wanted.append(commune)
            if commune.kind != "commune-actuelle":
                parent = self.by_key.get(("commune-actuelle", commune.parent))
                if parent is not None:
                    wanted.append(parent)
        seen: set[tuple[str, str]] = set()
        for commune in sorted(wanted, key=lambda c: (c.code, c.kind)):
            if (commune.kind, commune.code) not in seen:
                seen.add((commune.kind, commune.code))
                self.commune_triples(g, commune)
        return g

    def commune_of_local(self, local: str) -> Commune | None:
        for kind, (prefix, _) in KINDS.items():
            if local.startswith(prefix + "-") and len(local) == len(prefix) + 6:
                return self.by_key.get((kind, local[-5:]))
        return None

    def full_graph(self) -> Graph:
        g = Graph()
        self.metadata(
            g, FULL_FILE, "French communes (COG 2026): every commune and part of a commune"
        )
        for commune in self.communes:
            self.commune_triples(g, commune)
        return g


def used_communes(root: Path, skip: Iterable[PurePosixPath]) -> set[str]:
    """Local names of the commune territories that the knowledge base's files refer to."""
    skipped = {root / p for p in skip}
    used: set[str] = set()
    for path in sorted((root / "kb").rglob("*.ttl")):
        if path in skipped or "vendor" in path.parts:
            continue
        used.update(_USED.findall(path.read_text(encoding="utf-8")))
    return used


HEADER = header(
    "make kb", "kb/sources/fr-insee-cog/ (regions.json, departements.json, *.DERIVED.tsv)"
)
