"""schema.org descriptions embedded in the pages as JSON-LD, for search engines and harvesters."""

from __future__ import annotations

from typing import Any

from essaim.profiles import InitiativeProfile, ResourceView
from essaim.profiles.actor import ActorProfile
from essaim.profiles.concept import ConceptProfile
from essaim.profiles.territory import TerritoryProfile

CONTEXT = "https://schema.org"


def _base(kind: str, view: ResourceView | None, iri: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = {"@context": CONTEXT, "@type": kind, "@id": iri, "name": name}
    if view is not None and view.description:
        data["description"] = view.description
    return data


def initiative(p: InitiativeProfile, view: ResourceView) -> dict[str, Any]:
    data = _base("Project", view, p.iri, p.title)
    if p.summary:
        data["description"] = p.summary
    if p.start_year:
        data["foundingDate"] = p.start_year
    if p.territory:
        data["areaServed"] = [
            {"@type": "Place", "@id": t.iri, "name": t.label} for t in p.territory
        ]
    if p.carrier:
        data["sponsor"] = [
            {"@type": "Organization", "@id": c.iri, "name": c.label} for c in p.carrier
        ]
    members = [m.actor for group in p.participants_by_family.values() for m in group]
    data["member"] = [{"@type": "Organization", "@id": m.iri, "name": m.label} for m in members]
    return data


def actor(p: ActorProfile, view: ResourceView) -> dict[str, Any]:
    data = _base("Organization", view, view.iri, view.label)
    if p.territories:
        data["location"] = [
            {"@type": "Place", "@id": t.iri, "name": t.label} for t in p.territories
        ]
    if p.initiatives:
        data["memberOf"] = [
            {"@type": "Project", "@id": i.iri, "name": i.label} for i, _ in p.initiatives
        ]
    return data


def place(p: TerritoryProfile, view: ResourceView) -> dict[str, Any]:
    data = _base("AdministrativeArea", view, view.iri, view.label)
    if p.parents:
        data["containedInPlace"] = {
            "@type": "Place",
            "@id": p.parents[0].iri,
            "name": p.parents[0].label,
        }
    return data


def term(p: ConceptProfile, view: ResourceView) -> dict[str, Any]:
    data = _base("DefinedTerm", view, p.iri, view.label)
    if p.definition:
        data["description"] = p.definition
    schemes = p.related.get("inScheme", [])
    if schemes:
        data["inDefinedTermSet"] = {
            "@type": "DefinedTermSet",
            "@id": schemes[0].iri,
            "name": schemes[0].label,
        }
    return data


def thing(view: ResourceView) -> dict[str, Any]:
    return _base("Thing", view, view.iri, view.label)
