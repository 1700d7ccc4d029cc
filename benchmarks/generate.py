#!/usr/bin/env python3
"""Synthetic essaim data for the benchmarks, shaped like the founding case.

N territories x M initiatives: a country, régions, départements, EPCI and communes linked by
essaim:partOf; actors shared across initiatives (local, regional and national pools, with a
Zipf-like popularity so that a few actors bridge many initiatives); per initiative a case
document (essaim:fullText and its sections, with consistent offsets), participations with roles
and essaim:listedAs, actions with years and types, findings, proposals, and coded facts
(barriers, success factors, conditions, impacts, scaling strategies, values, sectors, a scaling
outcome), each coded fact backed by an oa:Annotation whose TextQuote and TextPosition selectors
point to the passage of the case document that states it.

Concept frequencies follow a Zipf-like law and are correlated through latent themes (the five
SI-DRIVE dimensions that group barriers and success factors in the codebook): each région
favours some themes, each initiative draws one or two, and concepts of its themes are boosted,
so that co-occurrence and per-territory queries have signal. Partnerships are more or less
homophilous (same sector) depending on the département.

Codebook concept IRIs are read from ontology/codebook/*.ttl when generating; the data conforms
to ontology/shapes.ttl (tests/test_benchmarks.py checks a sample with pySHACL). The output is
N-Triples, written as it is generated (memory stays small at any size), deterministic for a
seed, and describes itself as synthetic in a void:Dataset node.

    python benchmarks/generate.py --triples 1M --seed 42 -o /tmp/synthetic-1M.nt
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"

ESSAIM = "https://w3id.org/essaim/ontology#"
CB = "https://w3id.org/essaim/codebook/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"

#: Average triples per initiative at full scale (with its share of actors and territories):
#: used only to size the territory and actor pools before generating.
TRIPLES_PER_INITIATIVE = 900

SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_size(text: str) -> int:
    """'100k' -> 100000, '1M' -> 1000000, '5000' -> 5000."""
    match = SIZE_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 5000, 100k, 1M)")
    number, unit = float(match[1]), match[2].lower()
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def size_label(triples: int) -> str:
    """1000000 -> '1M', 100000 -> '100k', 5000 -> '5k'."""
    if triples >= 1_000_000 and triples % 100_000 == 0:
        return f"{triples / 1_000_000:g}M"
    if triples >= 1_000 and triples % 100 == 0:
        return f"{triples / 1_000:g}k"
    return str(triples)


# ------------------------------------------------------------------------------------------------
# N-Triples terms
# ------------------------------------------------------------------------------------------------


def iri(value: str) -> str:
    return f"<{value}>"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def lang(text: str, tag: str) -> str:
    return f'"{_escape(text)}"@{tag}'


def plain(text: str) -> str:
    return f'"{_escape(text)}"'


def typed(text: str | int, datatype: str) -> str:
    return f'"{_escape(str(text))}"^^<{XSD}{datatype}>'


def E(local: str) -> str:  # reads like the prefixed name essaim:local
    return f"<{ESSAIM}{local}>"


A = iri(RDF_TYPE)


# ------------------------------------------------------------------------------------------------
# The codebook, read from ontology/codebook/*.ttl
# ------------------------------------------------------------------------------------------------


@dataclass
class Concept:
    iri: str
    local: str
    label_fr: str
    label_en: str
    broader: str | None
    top: str  # local name of its top concept (itself when top)
    has_narrower: bool


@dataclass
class Codebook:
    schemes: dict[str, dict[str, Concept]]

    def concept(self, scheme: str, local: str) -> Concept:
        try:
            return self.schemes[scheme][local]
        except KeyError:
            raise SystemExit(
                f"generate.py: the codebook has no concept {scheme}/{local}; "
                "update benchmarks/generate.py to the codebook"
            ) from None

    def iri(self, scheme: str, local: str) -> str:
        return iri(self.concept(scheme, local).iri)

    def codes(self, scheme: str, *, leaves_only: bool) -> list[Concept]:
        concepts = sorted(self.schemes[scheme].values(), key=lambda c: c.iri)
        if leaves_only:
            concepts = [c for c in concepts if not c.has_narrower]
        return concepts


def read_codebook(folder: Path) -> Codebook:
    store = ox.Store()
    files = sorted(folder.glob("*.ttl"))
    if not files:
        raise SystemExit(f"generate.py: no codebook in {folder}")
    for path in files:
        store.bulk_load(path=path, format=ox.RdfFormat.TURTLE)
    rows = store.query(
        f"""PREFIX skos: <{SKOS}>
        SELECT ?scheme ?c ?fr ?en ?b (EXISTS {{ ?n skos:broader ?c }} AS ?narrower) WHERE {{
          ?c skos:inScheme ?scheme .
          OPTIONAL {{ ?c skos:prefLabel ?fr FILTER(LANG(?fr) = "fr") }}
          OPTIONAL {{ ?c skos:prefLabel ?en FILTER(LANG(?en) = "en") }}
          OPTIONAL {{ ?c skos:broader ?b }}
        }}"""
    )
    found: dict[str, dict[str, Concept]] = {}
    for row in rows:  # type: ignore[union-attr]
        scheme = row["scheme"].value.removeprefix(CB)
        concept_iri = row["c"].value
        local = concept_iri.rsplit("/", 1)[1]
        found.setdefault(scheme, {})[local] = Concept(
            iri=concept_iri,
            local=local,
            label_fr=row["fr"].value if row["fr"] else local,
            label_en=row["en"].value if row["en"] else local,
            broader=row["b"].value.rsplit("/", 1)[1] if row["b"] else None,
            top=local,
            has_narrower=row["narrower"].value == "true",
        )
    for concepts in found.values():
        for concept in concepts.values():
            seen, top = {concept.local}, concept
            while top.broader is not None and top.broader in concepts:
                top = concepts[top.broader]
                if top.local in seen:
                    break
                seen.add(top.local)
            concept.top = top.local
    return Codebook(found)


# ------------------------------------------------------------------------------------------------
# Words for names and texts (invented: no real organisation or place is named)
# ------------------------------------------------------------------------------------------------

ROOTS = [
    "Brenne",
    "Lisère",
    "Morvane",
    "Orbe",
    "Vallière",
    "Aubrève",
    "Cérans",
    "Dormelle",
    "Estrelle",
    "Fontval",
    "Garonnette",
    "Hautrive",
    "Isenne",
    "Jarnac-sur-Lise",
    "Lunel",
    "Marsange",
    "Noirval",
    "Ornans",
    "Pélisse",
    "Quincerot",
    "Rouvière",
    "Sarrance",
    "Tavernay",
    "Ussonne",
    "Varennes",
    "Yzeure",
    "Arcelle",
    "Bréval",
    "Chantemerle",
    "Douvrelle",
    "Épinal-le-Bois",
    "Ferrière",
    "Givrand",
    "Hérisson",
    "Loisance",
    "Mérindol",
]
PREFIXES = [
    "",
    "Saint-",
    "Sainte-",
    "Val-de-",
    "Haute-",
    "Basse-",
    "Mont-",
    "Pont-",
    "Villeneuve-",
    "Bourg-",
    "La Roche-",
    "Les Essarts-",
]
NOUNS = [
    "Solidarités",
    "Entraide",
    "Horizons",
    "Passerelles",
    "Racines",
    "Trait d'Union",
    "Les Jardins",
    "Le Relais",
    "La Fabrique",
    "L'Atelier",
    "Le Chantier",
    "Cap Emploi",
    "Les Petits Pas",
    "Le Lien",
    "L'Escale",
    "Archipel",
    "La Ruche",
    "Grain de Sel",
    "Tremplin",
    "Les Compagnons",
    "Le Fil",
    "Alternatives",
    "Convergences",
    "Envol",
]
THEME_WORDS = [
    "l'interconnaissance",
    "la mutualisation",
    "l'emploi local",
    "la transition",
    "l'alimentation durable",
    "la mobilité solidaire",
    "l'habitat partagé",
    "l'insertion",
    "la culture pour tous",
    "le numérique solidaire",
    "le réemploi",
    "l'accueil des jeunes",
    "les circuits courts",
    "le vieillissement",
    "l'engagement bénévole",
    "la coopération",
]
CLAUSES = [
    "notamment pour les plus petites structures",
    "sur l'ensemble du territoire",
    "selon les acteurs rencontrés",
    "depuis plusieurs années",
    "en particulier auprès des collectivités locales",
    "au-delà des secteurs habituels",
    "malgré l'engagement des bénévoles",
    "comme l'ont montré les premières actions",
    "dans un contexte de moyens contraints",
    "au sein des réseaux existants",
]
YEAR_MIN, YEAR_MAX = 1995, 2025

COOPERATIVE_PREFIX = {
    "workers-cooperative": "SCOP",
    "multi-stakeholder-cooperative": "SCIC",
    "producer-cooperative": "CUMA",
    "consumer-cooperative": "Coop",
}
FAMILY_PLURAL = {
    "association": "Associations",
    "cooperative": "Coopératives",
    "mutual-society": "Mutuelles",
    "foundation": "Fondations",
    "public-body": "Partenaires institutionnels",
}


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def low(text: str) -> str:
    return text[:1].lower() + text[1:]


def de(text: str) -> str:
    """French 'de' before a noun phrase: de + les -> des, de + le -> du, elision before a
    vowel."""
    for article, contracted in (("les ", "des "), ("le ", "du "), ("Le ", "du "), ("Les ", "des ")):
        if text.startswith(article):
            return contracted + text[len(article) :]
    if text[:1].lower() in "aeiouyéèêh":
        return "d'" + text
    return "de " + text


# ------------------------------------------------------------------------------------------------
# Weighted choices
# ------------------------------------------------------------------------------------------------


class Weighted:
    """Items with cumulative weights, for O(log n) draws."""

    def __init__(self, items: Sequence[object], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cum.append(total)

    def draw(self, rng: random.Random) -> object:
        return rng.choices(self.items, cum_weights=self.cum, k=1)[0]


def zipf_weights(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


def sample_distinct(
    rng: random.Random, items: Sequence[Concept], weights: Sequence[float], k: int
) -> list[Concept]:
    """k distinct items drawn without replacement with the given weights."""
    pool, w = list(items), list(weights)
    chosen: list[Concept] = []
    for _ in range(min(k, len(pool))):
        index = rng.choices(range(len(pool)), weights=w, k=1)[0]
        chosen.append(pool.pop(index))
        w.pop(index)
    return chosen


# ------------------------------------------------------------------------------------------------
# The world: territories and actors
# ------------------------------------------------------------------------------------------------


@dataclass
class Territory:
    iri: str
    label: str
    level: str
    parent: Territory | None
    short: str = ""  # the place name alone (label without "Région", "Communauté de...")
    region: int = -1


@dataclass
class Actor:
    iri: str
    name: str
    types: list[str]  # actor-type local names, family first
    sectors: list[str]
    territory: Territory
    listed: str | None  # the family a case lists it under

    @property
    def family(self) -> str:
        return self.types[0]


@dataclass
class Pool:
    """Actors of one place, with Zipf-like popularity, indexed by main sector."""

    actors: list[Actor]
    all: Weighted = field(init=False)
    by_sector: dict[str, Weighted] = field(init=False)

    def __post_init__(self) -> None:
        weights = zipf_weights(len(self.actors), 0.9)
        self.all = Weighted(self.actors, weights)
        grouped: dict[str, tuple[list[Actor], list[float]]] = {}
        for actor, weight in zip(self.actors, weights, strict=True):
            for sector in actor.sectors[:1]:
                items, ws = grouped.setdefault(sector, ([], []))
                items.append(actor)
                ws.append(weight)
        self.by_sector = {s: Weighted(items, ws) for s, (items, ws) in sorted(grouped.items())}


@dataclass
class Departement:
    territory: Territory
    below: list[Territory]  # its EPCI and communes
    homophily: float
    pool: Pool


@dataclass
class Region:
    territory: Territory
    themes: list[float]
    departements: list[Departement]
    pool: Pool


# actor kinds: (weight, types choices, has sector)
ACTOR_KINDS: list[tuple[float, list[list[str]], bool]] = [
    (55, [["association"], ["association"], ["association", "network-federation"]], True),
    (
        14,
        [
            ["cooperative"],
            ["cooperative", "workers-cooperative"],
            ["cooperative", "multi-stakeholder-cooperative"],
            ["cooperative", "producer-cooperative"],
            ["cooperative", "consumer-cooperative"],
        ],
        True,
    ),
    (
        6,
        [["mutual-society", "health-mutual"], ["mutual-society", "mutual-insurance-company"]],
        True,
    ),
    (3, [["foundation"]], True),
    (2, [["ess-commercial-company"]], True),
    (11, [["public-body", "local-authority"], ["public-body", "state-service"]], False),
    (
        4,
        [["network-federation", "sectoral-federation"], ["network-federation", "ess-chamber"]],
        True,
    ),
    (2, [["university"]], False),
    (2, [["company"]], True),
    (1, [["informal-group"]], True),
]
ACTOR_KIND_DRAW = Weighted(ACTOR_KINDS, [k[0] for k in ACTOR_KINDS])
SECTOR_FOR_FAMILY = {
    "mutual-society": ["health", "insurance"],
    "ess-commercial-company": ["trade", "recycling-reuse", "digital-communication"],
}


class World:
    def __init__(self, rng: random.Random, codebook: Codebook, base: str, initiatives: int):
        self.rng, self.codebook, self.base = rng, codebook, base
        self.territories: list[Territory] = []
        self.actors: list[Actor] = []
        self.regions: list[Region] = []
        self.themes = sorted(
            {c.top for c in codebook.codes("barrier", leaves_only=True)}
            & {c.top for c in codebook.codes("success-factor", leaves_only=True)}
        )
        sectors = codebook.codes("sector", leaves_only=False)
        rng.shuffle(sectors)
        self.sector_weights = Weighted([s.local for s in sectors], zipf_weights(len(sectors), 1.0))
        self._names: set[str] = set()
        self._build(initiatives)

    # -- territories ---------------------------------------------------------------------------

    def _place_name(self) -> str:
        for _ in range(1000):
            name = self.rng.choice(PREFIXES) + self.rng.choice(ROOTS)
            if name not in self._names:
                self._names.add(name)
                return name
        name = f"{self.rng.choice(ROOTS)}-{len(self._names)}"
        self._names.add(name)
        return name

    def _territory(
        self, kind: str, label: str, level: str, parent: Territory | None, short: str = ""
    ) -> Territory:
        slug = f"{kind}-{len(self.territories) + 1}"
        territory = Territory(f"{self.base}territory/{slug}", label, level, parent, short or label)
        self.territories.append(territory)
        return territory

    def _build(self, initiatives: int) -> None:
        rng = self.rng
        country = self._territory(
            "country", "France (données synthétiques)", "country", None, "France"
        )
        n_dep = max(3, min(96, round(initiatives / 12)))
        n_reg = max(2, min(13, round(n_dep / 7)))
        per_dep = initiatives / n_dep
        for r in range(n_reg):
            name = self._place_name()
            region = self._territory("region", f"Région {name}", "region", country, name)
            region.region = r
            themes = [rng.gammavariate(0.6, 1.0) + 0.05 for _ in self.themes]
            self.regions.append(Region(region, themes, [], Pool([])))
        for d in range(n_dep):
            reg = self.regions[d % n_reg]
            dep = self._territory("departement", self._place_name(), "departement", reg.territory)
            dep.region = reg.territory.region
            below: list[Territory] = []
            for _ in range(rng.randint(2, 5)):
                epci_name = self._place_name()
                kind = rng.choice(["Communauté de communes", "Communauté d'agglomération"])
                epci = self._territory("epci", f"{kind} {de(epci_name)}", "epci", dep, epci_name)
                below.append(epci)
                for _ in range(rng.randint(2, 6)):
                    below.append(self._territory("commune", self._place_name(), "commune", epci))
            n_local = max(8, round(per_dep * 2.2 * rng.uniform(0.7, 1.3)))
            places = [dep, *below]
            actors = [self._actor(rng.choice(places), dep) for _ in range(n_local)]
            homophily = rng.uniform(0.15, 0.85)
            reg.departements.append(Departement(dep, below, homophily, Pool(actors)))
        for reg in self.regions:
            n = max(4, round(len(reg.departements) * per_dep * 0.25))
            reg.pool = Pool([self._actor(reg.territory, reg.territory) for _ in range(n)])
        n_nat = max(5, round(initiatives / 30))
        self.national = Pool([self._actor(country, country) for _ in range(n_nat)])
        weights = [rng.lognormvariate(0, 0.6) for reg in self.regions for _ in reg.departements]
        self.departements = Weighted(
            [dep for reg in self.regions for dep in reg.departements], weights
        )

    # -- actors --------------------------------------------------------------------------------

    def _actor(self, place: Territory, scope: Territory) -> Actor:
        rng = self.rng
        _, choices, has_sector = ACTOR_KIND_DRAW.draw(rng)  # type: ignore[misc]
        types = list(rng.choice(choices))
        family = types[0]
        sectors: list[str] = []
        if family in SECTOR_FOR_FAMILY:
            sectors.append(rng.choice(SECTOR_FOR_FAMILY[family]))
        elif has_sector and rng.random() < 0.88:
            sectors.append(str(self.sector_weights.draw(rng)))
            if rng.random() < 0.3:
                other = str(self.sector_weights.draw(rng))
                if other not in sectors:
                    sectors.append(other)
        name = self._actor_name(types, place, scope)
        listed: str | None = family if family in FAMILY_PLURAL else None
        if family == "network-federation":
            listed = "association" if rng.random() < 0.5 else None
        if listed is not None and rng.random() < 0.04:  # cases sometimes list actors oddly
            listed = rng.choice(sorted(FAMILY_PLURAL))
        actor_iri = f"{self.base}actor/a{len(self.actors) + 1}"
        actor = Actor(actor_iri, name, types, sectors, place, listed)
        self.actors.append(actor)
        return actor

    def _actor_name(self, types: list[str], place: Territory, scope: Territory) -> str:
        rng = self.rng
        where = place.short
        noun = rng.choice(NOUNS)
        family, kind = types[0], types[-1]
        if family == "association":
            return rng.choice(
                [
                    f"Association {noun} {where}",
                    f"{noun} {where}",
                    f"Maison des {rng.choice(['solidarités', 'associations'])} {de(where)}",
                ]
            )
        if family == "cooperative":
            prefix = COOPERATIVE_PREFIX.get(kind, "Coopérative")
            return f"{prefix} {noun} {where}"
        if family == "mutual-society":
            return f"Mutuelle {noun} {where}"
        if family == "foundation":
            return f"Fondation {noun}"
        if family == "public-body":
            if kind == "local-authority":
                return {
                    "commune": f"Mairie {de(where)}",
                    "epci": place.label,
                    "departement": f"Conseil départemental {de(where)}",
                    "region": f"Conseil régional {de(where)}",
                }.get(place.level, "Ministère de l'Économie sociale et solidaire")
            return (
                rng.choice(["Direction de l'emploi", "Préfecture", "Service jeunesse et sports"])
                + f" ({where})"
            )
        if family == "network-federation":
            if place.level == "region":
                return f"CRESS {where}"
            return rng.choice([f"Fédération {noun} {where}", f"Réseau {noun} {where}"])
        if family == "university":
            return f"Université {de(where)}"
        if family == "informal-group":
            return f"Collectif {noun} {where}"
        return f"{noun} SAS ({where})"


# ------------------------------------------------------------------------------------------------
# The case document: text with tracked offsets
# ------------------------------------------------------------------------------------------------


@dataclass
class Passage:
    start: int
    end: int


class Text:
    """A document built piece by piece; offsets count code points, like essaim's."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.sections: list[tuple[str, str, int, int]] = []  # type, heading, start, end

    def add(self, piece: str) -> Passage:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return Passage(start, self.length)

    def section(self, kind: str, heading: str, lines: Sequence[Callable[[], None] | str]) -> None:
        """A section: the heading, then each line (a string, or a callable adding text)."""
        if self.length:
            self.add("\n\n")
        start = self.length
        self.add(heading)
        for line in lines:
            self.add("\n\n")
            if callable(line):
                line()
            else:
                self.add(line)
        self.sections.append((kind, heading, start, self.length))

    def full(self) -> str:
        return "".join(self.parts)


# ------------------------------------------------------------------------------------------------
# Initiatives
# ------------------------------------------------------------------------------------------------

CODED = [  # scheme, property, leaves only, (min, max) per initiative at full scale
    ("barrier", "hasBarrier", True, (1, 8)),
    ("success-factor", "hasSuccessFactor", True, (1, 6)),
    ("condition", "hasCondition", True, (0, 4)),
    ("impact", "hasImpact", True, (1, 4)),
    ("scaling-strategy", "hasScalingStrategy", False, (1, 3)),
    ("value", "upholdsValue", False, (1, 3)),
    ("sector", "sector", False, (1, 2)),
]
OUTCOMES = ["achieved", "partial", "possible", "not-achieved", "unknown"]


class Generator:
    """Writes the N-Triples of a synthetic dataset; see the module docstring."""

    def __init__(self, seed: int, target: int, ontology: Path = ONTOLOGY) -> None:
        self.seed, self.target = seed, target
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.codebook = read_codebook(ontology / "codebook")
        self.base = f"https://example.org/essaim-synthetic/s{seed}/"
        estimate = max(2, round(target / TRIPLES_PER_INITIATIVE))
        self.world = World(self.rng, self.codebook, self.base, estimate)
        self.coders = [f"{self.base}coder/c{n}" for n in range(1, 6)]
        self.blank = 0
        self.initiatives: list[tuple[str, int]] = []  # iri, region
        self._code_tables()

    def _code_tables(self) -> None:
        """Per coded scheme: concepts, Zipf base weights (seeded order) and each concept's
        theme (the SI-DRIVE dimension for barriers and success factors, a seeded one else)."""
        rng, themes = self.rng, self.world.themes
        self.tables: dict[str, tuple[list[Concept], list[float], list[int]]] = {}
        for scheme, _prop, leaves, _range in CODED:
            concepts = self.codebook.codes(scheme, leaves_only=leaves)
            order = list(range(len(concepts)))
            rng.shuffle(order)
            base = [0.0] * len(concepts)
            for rank, index in enumerate(order):
                base[index] = 1.0 / (rank + 1) ** 1.1
            tops = sorted({c.top for c in concepts})
            top_theme = {
                t: themes.index(t) if t in themes else rng.randrange(len(themes)) for t in tops
            }
            self.tables[scheme] = (concepts, base, [top_theme[c.top] for c in concepts])

    def bnode(self) -> str:
        self.blank += 1
        return f"_:b{self.blank}"

    # -- the whole file ------------------------------------------------------------------------

    def write(self, out: TextIO) -> int:
        """Write the dataset; returns the number of triples."""
        count = 0

        def emit(lines: Sequence[str]) -> None:
            nonlocal count
            out.write("".join(lines))
            count += len(lines)

        emit(self._dataset_header())
        emit(list(self._world_triples()))
        emit(list(self._coder_triples()))
        tolerance = max(50, self.target // 50)
        index = 0
        while True:
            remaining = self.target - count - 1  # 1: the void:triples line
            if remaining <= 0:
                break
            # near the end, smaller initiatives fill the remaining budget
            for scale in (1.0, 0.6, 0.35, 0.2, 0.1):
                lines, region = self._initiative(index + 1, scale)
                if len(lines) <= remaining + tolerance:
                    emit(lines)
                    self.initiatives.append((f"{self.base}initiative/i{index + 1}", region))
                    index += 1
                    break
            else:
                break
        count += 1
        out.write(f"{iri(self.base + 'dataset')} <{VOID}triples> {typed(count, 'integer')} .\n")
        return count

    def _dataset_header(self) -> list[str]:
        d = iri(self.base + "dataset")
        source = f"essaim benchmarks/generate.py seed={self.seed} triples={self.target}"
        return [
            f"{d} {A} <{VOID}Dataset> .\n",
            f"{d} <{DCTERMS}title> {lang(f'essaim synthetic benchmark data ({source})', 'en')} .\n",
            f"{d} <{DCTERMS}description> "
            + lang(
                "Synthetic benchmark data, not real: invented territories, actors, initiatives, "
                "case texts and codings shaped like essaim's founding case, generated by "
                "benchmarks/generate.py to measure loading and queries. Do not cite or reuse "
                "as knowledge.",
                "en",
            )
            + " .\n",
            f"{d} <{DCTERMS}description> "
            + lang(
                "Données synthétiques de banc d'essai, fictives : territoires, acteurs, "
                "initiatives, textes de cas et codages inventés à la manière du cas fondateur "
                "d'essaim, pour mesurer le chargement et les requêtes. À ne pas citer.",
                "fr",
            )
            + " .\n",
            f"{d} <{DCTERMS}source> {plain(source)} .\n",
        ]

    def _world_triples(self) -> Iterator[str]:
        cb = self.codebook
        for t in self.world.territories:
            s = iri(t.iri)
            yield f"{s} {A} {E('Territory')} .\n"
            yield f"{s} <{SKOS}prefLabel> {lang(t.label, 'fr')} .\n"
            yield f"{s} {E('territoryLevel')} {cb.iri('territory-level', t.level)} .\n"
            if t.parent is not None:
                yield f"{s} {E('partOf')} {iri(t.parent.iri)} .\n"
        for a in self.world.actors:
            s = iri(a.iri)
            yield f"{s} {A} {E('Organisation')} .\n"
            yield f"{s} <{SKOS}prefLabel> {lang(a.name, 'fr')} .\n"
            for kind in a.types:
                yield f"{s} {E('actorType')} {cb.iri('actor-type', kind)} .\n"
            for sector in a.sectors:
                yield f"{s} {E('sector')} {cb.iri('sector', sector)} .\n"
            yield f"{s} {E('territory')} {iri(a.territory.iri)} .\n"

    def _coder_triples(self) -> Iterator[str]:
        for n, coder in enumerate(self.coders, 1):
            yield f"{iri(coder)} {A} <{PROV}Agent> .\n"
            yield f"{iri(coder)} <{RDFS}label> {lang(f'synthetic coder {n}', 'en')} .\n"

    # -- one initiative ------------------------------------------------------------------------

    def _pick_codes(self, scheme: str, k: int, themes: tuple[int, int | None]) -> list[Concept]:
        concepts, base, theme_of = self.tables[scheme]
        primary, secondary = themes
        weights = [
            w * (1 + 5 * (t == primary) + 2 * (t == secondary))
            for w, t in zip(base, theme_of, strict=True)
        ]
        return sample_distinct(self.rng, concepts, weights, k)

    def _participants(self, dep: Departement, region: Region, n: int) -> list[Actor]:
        rng = self.rng
        carrier: Actor | None = None
        for _ in range(20):
            candidate = dep.pool.all.draw(rng)
            assert isinstance(candidate, Actor)
            carrier = candidate
            if candidate.family in FAMILY_PLURAL and candidate.family != "public-body":
                break
        assert carrier is not None
        chosen = [carrier]
        seen = {carrier.iri}
        others = [d for d in region.departements if d is not dep]
        for _ in range(n * 4):
            if len(chosen) >= n:
                break
            roll = rng.random()
            if roll < 0.72:
                pool = dep.pool
            elif roll < 0.84:
                pool = region.pool
            elif roll < 0.93:
                pool = self.world.national
            else:
                pool = rng.choice(others).pool if others else dep.pool
            sector = carrier.sectors[0] if carrier.sectors else None
            if sector and sector in pool.by_sector and rng.random() < dep.homophily:
                actor = pool.by_sector[sector].draw(rng)
            else:
                actor = pool.all.draw(rng)
            assert isinstance(actor, Actor)
            if actor.iri not in seen:
                seen.add(actor.iri)
                chosen.append(actor)
        return chosen

    def _initiative(self, n: int, scale: float) -> tuple[list[str], int]:
        rng, cb, base = self.rng, self.codebook, self.base
        dep = self.world.departements.draw(rng)
        assert isinstance(dep, Departement)
        region = self.world.regions[dep.territory.region]
        level_roll = rng.random()
        place = dep.territory if level_roll < 0.3 else rng.choice(dep.below)
        primary = rng.choices(range(len(self.world.themes)), weights=region.themes, k=1)[0]
        secondary = rng.randrange(len(self.world.themes)) if rng.random() < 0.5 else None
        themes = (primary, secondary)

        def count(low_: int, high: int) -> int:
            return max(min(1, low_), round(rng.randint(low_, high) * scale))

        slug = f"i{n}"
        s = iri(f"{base}initiative/{slug}")
        doc_iri = iri(f"{base}document/{slug}")
        participants = self._participants(dep, region, max(2, round(rng.randint(3, 14) * scale)))
        carrier = participants[0]
        start_year = min(YEAR_MAX, YEAR_MIN + int((YEAR_MAX - YEAR_MIN) * rng.random() ** 0.6))
        codes: dict[str, list[Concept]] = {}
        for scheme, _prop, _leaves, (lo, hi) in CODED:
            codes[scheme] = self._pick_codes(scheme, count(lo, hi), themes)
        # scaling outcome: success factors and a few strategies make success more likely
        lift = len(codes["success-factor"]) / 6
        outcome = rng.choices(
            OUTCOMES, weights=[0.08 + 0.3 * lift, 0.15 + 0.1 * lift, 0.35, 0.12, 0.2], k=1
        )[0]
        theme_word = rng.choice(THEME_WORDS)
        title = f"{cap(theme_word)} : {rng.choice(NOUNS).lower()} à {place.short}"
        entry = rng.choice(
            [
                "Coopérer / Mutualiser",
                "Entreprendre autrement",
                "Vivre ensemble",
                "Habiter le territoire",
                "Se former",
            ]
        )
        summary = (
            f"{carrier.name} porte depuis {start_year} une démarche autour {de(theme_word)} "
            f"à {place.short}, avec {len(participants) - 1} partenaires."
        )

        text = Text()
        coded_passages: dict[str, list[Passage]] = {}

        def coded_line(scheme: str, concept: Concept, sentence: str) -> Callable[[], None]:
            def add() -> None:
                coded_passages.setdefault(concept.iri, []).append(text.add(sentence))

            return add

        def clause() -> str:
            return rng.choice(CLAUSES)

        title_passage = text.add(title)
        text.add("\n\n")
        text.add(f"Cahier de l'entrée {entry}")
        text.sections.append(("title-and-entry", title, 0, text.length))
        # argument: values
        arg_lines: list[Callable[[], None] | str] = [
            f"Les structures de l'ESS {de(place.short)} collaborent encore peu autour "
            f"{de(theme_word)}, {clause()}."
        ]
        for v in codes["value"]:
            arg_lines.append(
                coded_line("value", v, f"Les partenaires défendent la valeur : {low(v.label_fr)}.")
            )
        text.section("argument", "Argumentaire", arg_lines)
        if codes["condition"]:
            text.section(
                "development-conditions",
                "Conditions du développement",
                [
                    coded_line("condition", c, f"{c.label_fr}, {clause()}.")
                    for c in codes["condition"]
                ],
            )
        text.section(
            "barriers",
            "Freins\u00a0:",
            [coded_line("barrier", b, f"{b.label_fr}, {clause()}") for b in codes["barrier"]],
        )
        outcome_concept = cb.concept("scaling-outcome", outcome)
        outcome_sentence = {
            "achieved": "La démarche a été reprise sur d'autres territoires.",
            "partial": "La démarche a été reprise en partie dans des territoires voisins.",
            "possible": "On pourrait changer d'échelle si des moyens étaient attribués.",
            "not-achieved": "Les tentatives de reprise ailleurs n'ont pas abouti.",
            "unknown": "Rien n'est dit de la reprise de la démarche ailleurs.",
        }[outcome]
        scaling_lines: list[Callable[[], None] | str] = [
            coded_line("scaling-outcome", outcome_concept, outcome_sentence)
        ]
        for st in codes["scaling-strategy"]:
            scaling_lines.append(
                coded_line("scaling-strategy", st, f"Stratégie envisagée : {low(st.label_fr)}.")
            )
        text.section("possible-scaling", "Changement d'échelle possible", scaling_lines)
        text.section(
            "success-factors",
            "Facteurs de succès",
            [
                coded_line("success-factor", f, f"{f.label_fr}, {clause()}")
                for f in codes["success-factor"]
            ],
        )
        text.section(
            "impacts",
            "Impacts de l'initiative",
            [coded_line("impact", i, f"{i.label_fr} {clause()}.") for i in codes["impact"]],
        )
        # actions, grouped by year
        action_types = self.codebook.codes("action-type", leaves_only=False)
        actions: list[dict[str, object]] = []
        for k in range(count(1, 8)):
            year = min(2026, start_year + int(rng.expovariate(0.4)))
            kinds = [rng.choice(action_types)]
            if rng.random() < 0.25:
                other = rng.choice(action_types)
                if other is not kinds[0]:
                    kinds.append(other)
            label = f"{kinds[0].label_fr} sur {rng.choice(THEME_WORDS)}"
            actions.append(
                {
                    "k": k,
                    "year": year,
                    "kinds": kinds,
                    "label": label,
                    "ongoing": rng.random() < 0.2,
                }
            )
        actions.sort(key=lambda a: (a["year"], a["k"]))  # type: ignore[return-value, arg-type]
        org_lines: list[Callable[[], None] | str] = [
            "Le groupe d'acteurs s'est mobilisé au travers de plusieurs actions\u00a0:"
        ]
        year_passages: dict[object, Passage] = {}
        for action in actions:
            if action["year"] not in year_passages:
                year_passages[action["year"]] = Passage(0, 0)  # set when the text is built
                word = "Depuis" if action["ongoing"] else "En"

                def add_year(y: object = action["year"], w: str = word) -> None:
                    year_passages[y] = text.add(f"{w} {y}\u00a0:")

                org_lines.append(add_year)

            def add_action(a: dict[str, object] = action) -> None:
                text.add("  • ")
                a["passage"] = text.add(str(a["label"]))

            org_lines.append(add_action)
        text.section("organisation", "L'organisation", org_lines)

        def add_carrier() -> None:
            carrier_passages.append(text.add(carrier.name))

        carrier_passages: list[Passage] = []
        text.section("carrier-structure", "La structure, porteuse de l'initiative", [add_carrier])
        # actors, listed by family
        name_passages: dict[str, Passage] = {}
        groups: dict[str, list[Actor]] = {}
        for actor in participants[1:]:
            groups.setdefault(actor.listed or "other", []).append(actor)
        actor_lines: list[Callable[[], None] | str] = [
            f"Démarche partenariale coordonnée par {carrier.name}."
        ]
        for family in [*FAMILY_PLURAL, "other"]:
            if family not in groups:
                continue

            def add_group(f: str = family, members: list[Actor] = groups[family]) -> None:
                text.add(f"{FAMILY_PLURAL.get(f, 'Autres partenaires')}\u00a0: ")
                for j, member in enumerate(members):
                    if j:
                        text.add(", ")
                    name_passages[member.iri] = text.add(member.name)
                text.add(".")

            actor_lines.append(add_group)
        text.section("actors", "Les acteurs (Qui\u00a0?)", actor_lines)
        if rng.random() < 0.3:
            text.section(
                "youth",
                "Les jeunes",
                [
                    f"Des jeunes {de(place.short)} se sont mobilisés dans l'organisation des "
                    "événements."
                ],
            )
        # proposals
        proposals: list[tuple[str, str, Passage]] = []
        n_prop = count(1, 4)
        for kind, heading, audiences in (
            (
                "proposals-decision-makers",
                "Proposition pour influencer les décideurs",
                ["decision-makers", "local-authorities", "funders", "state-services"],
            ),
            (
                "proposals-public-opinion",
                "Propositions pour convaincre l'opinion",
                ["public-opinion", "general-public", "young-people", "schools-pupils"],
            ),
        ):
            lines: list[Callable[[], None] | str] = []
            share = (n_prop + 1) // 2 if kind.endswith("makers") else n_prop // 2
            for _ in range(share):
                audience = rng.choice(audiences)
                statement = f"Valoriser {rng.choice(THEME_WORDS)} auprès des publics, {clause()}."

                def add_prop(a: str = audience, st: str = statement) -> None:
                    proposals.append((a, st, text.add(st)))

                lines.append(add_prop)
            if lines:
                text.section(kind, heading, lines)
        # presentation: findings and sectors
        findings: list[tuple[str, str, Passage]] = []
        pres_lines: list[Callable[[], None] | str] = [
            f"Dès {start_year}, {carrier.name} formulait plusieurs constats\u00a0:"
        ]
        barrier_pool = codes["barrier"] or self._pick_codes("barrier", 1, themes)
        for j in range(count(1, 6)):
            kind = rng.choices(
                ["diagnosis", "perspective", "common-interest", "argument"],
                weights=[6, 2, 1, 1],
                k=1,
            )[0]
            subject = barrier_pool[j % len(barrier_pool)]
            statement = (
                f"{subject.label_fr} : c'est un constat partagé à {place.short}, {clause()}."
                if kind == "diagnosis"
                else f"Une perspective se dessine autour {de(rng.choice(THEME_WORDS))}."
            )

            def add_finding(k: str = kind, st: str = statement) -> None:
                text.add("  • ")
                findings.append((k, st, text.add(st)))

            pres_lines.append(add_finding)
        for sector in codes["sector"]:
            pres_lines.append(
                coded_line(
                    "sector", sector, f"L'initiative relève du secteur : {low(sector.label_fr)}."
                )
            )
        text.section("presentation", "Présentation de l'initiative (Quoi\u00a0?)", pres_lines)
        resource: tuple[list[str], Passage] | None = None
        if rng.random() < 0.7:
            kinds_r = rng.sample(
                [
                    "volunteer-commitment",
                    "staff-time",
                    "public-funding",
                    "membership-fees",
                    "private-funding",
                    "in-kind",
                ],
                k=2,
            )
            means = low(cb.concept("resource-type", kinds_r[0]).label_fr)
            statement_r = f"L'animation s'est appuyée sur {means}."

            def add_resource() -> None:
                nonlocal resource
                resource = (kinds_r, text.add(statement_r))

            text.section("resources", "Ressources, financements et moyens utilisés", [add_resource])
        text.section(
            "one-sentence-summary", "Synthèse de mon indignation en une seule phrase", [summary]
        )
        full = text.full()

        # -- triples -------------------------------------------------------------------------
        out: list[str] = []
        t = out.append

        def passage(p: Passage, subject: str, predicate: str) -> None:
            target, quote, position = self.bnode(), self.bnode(), self.bnode()
            t(f"{subject} {predicate} {target} .\n")
            t(f"{target} {A} <{OA}SpecificResource> .\n")
            t(f"{target} <{OA}hasSource> {doc_iri} .\n")
            t(f"{target} <{OA}hasSelector> {quote} .\n")
            t(f"{target} <{OA}hasSelector> {position} .\n")
            t(f"{quote} {A} <{OA}TextQuoteSelector> .\n")
            t(f"{quote} <{OA}exact> {plain(full[p.start : p.end])} .\n")
            if p.start > 0:
                t(f"{quote} <{OA}prefix> {plain(full[max(0, p.start - 30) : p.start])} .\n")
            if p.end < len(full):
                t(f"{quote} <{OA}suffix> {plain(full[p.end : p.end + 30])} .\n")
            t(f"{position} {A} <{OA}TextPositionSelector> .\n")
            t(f"{position} <{OA}start> {typed(p.start, 'nonNegativeInteger')} .\n")
            t(f"{position} <{OA}end> {typed(p.end, 'nonNegativeInteger')} .\n")

        # the document
        t(f"{doc_iri} {A} {E('CaseDocument')} .\n")
        t(f"{doc_iri} <{DCTERMS}title> {lang(title, 'fr')} .\n")
        t(f"{doc_iri} <{DCTERMS}language> {plain('fr')} .\n")
        t(f"{doc_iri} <{DCTERMS}creator> {iri(carrier.iri)} .\n")
        t(f"{doc_iri} <{DCTERMS}date> {typed(start_year + rng.randint(0, 5), 'gYear')} .\n")
        t(f"{doc_iri} {E('sha256')} {plain(hashlib.sha256(full.encode()).hexdigest())} .\n")
        t(f"{doc_iri} {E('fullText')} {plain(full)} .\n")
        for order, (kind, heading, start, end) in enumerate(text.sections, 1):
            sec = iri(f"{base}section/{slug}-{order:02d}-{kind}")
            t(f"{doc_iri} {E('hasSection')} {sec} .\n")
            t(f"{sec} {A} {E('Section')} .\n")
            t(f"{sec} {E('sectionType')} {cb.iri('section-type', kind)} .\n")
            t(f"{sec} {E('heading')} {plain(heading)} .\n")
            t(f"{sec} {E('order')} {typed(order, 'positiveInteger')} .\n")
            t(f"{sec} {E('startOffset')} {typed(start, 'nonNegativeInteger')} .\n")
            t(f"{sec} {E('endOffset')} {typed(end, 'nonNegativeInteger')} .\n")
            t(f"{sec} <{DCTERMS}isPartOf> {doc_iri} .\n")
        # the initiative
        t(f"{s} {A} {E('Initiative')} .\n")
        t(f"{s} <{DCTERMS}title> {lang(title, 'fr')} .\n")
        if rng.random() < 0.3:
            t(f"{s} <{DCTERMS}title> {lang(f'Initiative in {place.short}', 'en')} .\n")
        t(f"{s} {E('entry')} {lang(entry, 'fr')} .\n")
        t(f"{s} {E('summary')} {lang(summary, 'fr')} .\n")
        t(f"{s} {E('startYear')} {typed(start_year, 'gYear')} .\n")
        if rng.random() < 0.15:
            end_year = min(2026, start_year + rng.randint(1, 10))
            t(f"{s} {E('endYear')} {typed(end_year, 'gYear')} .\n")
        t(f"{s} {E('territory')} {iri(place.iri)} .\n")
        t(f"{s} {E('carrier')} {iri(carrier.iri)} .\n")
        t(f"{s} {E('caseDocument')} {doc_iri} .\n")
        passage(title_passage, s, E("evidence"))
        for scheme, prop, _leaves, _range in CODED:
            for concept in codes[scheme]:
                t(f"{s} {E(prop)} {iri(concept.iri)} .\n")
        t(f"{s} {E('scalingOutcome')} {iri(outcome_concept.iri)} .\n")
        same_region = [i for i, r in self.initiatives[-200:] if r == region.territory.region]
        if same_region and rng.random() < 0.15:
            t(f"{s} {E('similarTo')} {iri(rng.choice(same_region))} .\n")
        # participations
        for j, actor in enumerate(participants):
            p = iri(f"{base}participation/{slug}-p{j + 1}")
            t(f"{s} {E('hasParticipation')} {p} .\n")
            t(f"{p} {A} {E('Participation')} .\n")
            t(f"{p} {E('participant')} {iri(actor.iri)} .\n")
            if j == 0:
                roles = ["carrier"] + (["coordinator"] if rng.random() < 0.6 else [])
            elif actor.family == "public-body":
                roles = ["institutional-partner"] + (["funder"] if rng.random() < 0.3 else [])
            elif actor.family == "university":
                roles = [rng.choice(["researcher", "partner"])]
            else:
                roles = [
                    rng.choices(
                        [
                            "partner",
                            "project-group-member",
                            "co-organiser",
                            "support-provider",
                            "volunteer",
                            "host",
                            "funder",
                            "beneficiary",
                        ],
                        weights=[20, 4, 3, 2, 2, 1, 1, 1],
                        k=1,
                    )[0]
                ]
            for role in roles:
                t(f"{p} {E('role')} {cb.iri('role', role)} .\n")
            if actor.listed is not None and j > 0:
                t(f"{p} {E('listedAs')} {cb.iri('actor-type', actor.listed)} .\n")
            if j == 0:
                passage(carrier_passages[0], p, E("evidence"))
            elif actor.iri in name_passages:
                passage(name_passages[actor.iri], p, E("evidence"))
        # actions
        for j, action in enumerate(actions):
            a = iri(f"{base}action/{slug}-a{j + 1}")
            t(f"{s} {E('hasAction')} {a} .\n")
            t(f"{a} {A} {E('Action')} .\n")
            t(f"{a} <{RDFS}label> {lang(str(action['label']), 'fr')} .\n")
            for kind_c in action["kinds"]:  # type: ignore[attr-defined]
                t(f"{a} {E('actionType')} {iri(kind_c.iri)} .\n")
            year_prop = "startYear" if action["ongoing"] else "year"
            t(f"{a} {E(year_prop)} {typed(action['year'], 'gYear')} .\n")  # type: ignore[arg-type]
            if rng.random() < 0.5:
                t(f"{a} {E('organiser')} {iri(carrier.iri)} .\n")
            if len(participants) > 1 and rng.random() < 0.3:
                t(f"{a} {E('actionPartner')} {iri(rng.choice(participants[1:]).iri)} .\n")
            passage(action["passage"], a, E("evidence"))  # type: ignore[arg-type]
            passage(year_passages[action["year"]], a, E("evidence"))
        # findings and proposals
        for j, (kind, statement, p_) in enumerate(findings):
            f_ = iri(f"{base}finding/{slug}-f{j + 1}")
            t(f"{s} {E('hasFinding')} {f_} .\n")
            t(f"{f_} {A} {E('Finding')} .\n")
            t(f"{f_} {E('findingKind')} {cb.iri('finding-kind', kind)} .\n")
            t(f"{f_} {E('statement')} {lang(statement, 'fr')} .\n")
            if kind == "diagnosis":
                t(f"{f_} <{PROV}wasAttributedTo> {iri(carrier.iri)} .\n")
            passage(p_, f_, E("evidence"))
        for j, (audience, statement, p_) in enumerate(proposals):
            pr = iri(f"{base}proposal/{slug}-p{j + 1}")
            t(f"{s} {E('hasProposal')} {pr} .\n")
            t(f"{pr} {A} {E('Proposal')} .\n")
            t(f"{pr} {E('audience')} {cb.iri('audience', audience)} .\n")
            t(f"{pr} {E('statement')} {lang(statement, 'fr')} .\n")
            passage(p_, pr, E("evidence"))
        if resource is not None:
            kinds_r, p_ = resource
            r_ = iri(f"{base}resource-use/{slug}-r1")
            t(f"{s} {E('usesResource')} {r_} .\n")
            t(f"{r_} {A} {E('ResourceUse')} .\n")
            for kind in kinds_r:
                t(f"{r_} {E('resourceType')} {cb.iri('resource-type', kind)} .\n")
            t(f"{r_} {E('statement')} {lang(full[p_.start : p_.end], 'fr')} .\n")
            passage(p_, r_, E("evidence"))
        # coding annotations, one per coded passage
        coder = iri(rng.choice(self.coders))
        day = 1 + rng.randrange(28)
        created = typed(f"2026-11-{day:02d}T{rng.randrange(24):02d}:00:00Z", "dateTime")
        for concept_iri, passages in coded_passages.items():
            local = concept_iri.removeprefix(CB).replace("/", "-")
            for k, p_ in enumerate(passages, 1):
                an = iri(f"{base}annotation/{slug}-{local}-{k}")
                t(f"{an} {A} <{OA}Annotation> .\n")
                t(f"{an} <{OA}motivatedBy> <{OA}classifying> .\n")
                t(f"{an} {E('initiative')} {s} .\n")
                t(f"{an} <{OA}hasBody> {iri(concept_iri)} .\n")
                passage(p_, an, f"<{OA}hasTarget>")
                t(f"{an} <{DCTERMS}creator> {coder} .\n")
                t(f"{an} <{DCTERMS}created> {created} .\n")
        return out, region.territory.region


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def generate(path: Path, triples: int, seed: int, ontology: Path = ONTOLOGY) -> int:
    """Write a synthetic dataset of about ``triples`` triples to ``path``; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with partial.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        count = Generator(seed, triples, ontology).write(out)
    partial.replace(path)
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--triples",
        type=parse_size,
        default=parse_size("100k"),
        help="target number of triples: 5000, 100k, 1M, 5M (default 100k)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="N-Triples file")
    parser.add_argument(
        "--ontology",
        type=Path,
        default=ONTOLOGY,
        help="the ontology folder whose codebook/ gives the concepts",
    )
    args = parser.parse_args(argv)
    if args.triples < 1000:
        parser.error("--triples must be at least 1000")
    count = generate(args.output, args.triples, args.seed, args.ontology)
    print(
        f"{args.output}: {count} triples (target {args.triples}, seed {args.seed})", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Generator", "generate", "main", "parse_size", "read_codebook", "size_label"]
