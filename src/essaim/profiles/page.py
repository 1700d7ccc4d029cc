"""What a resource's page shows, gathered in one call: the resource's generic view and, for an
initiative, an actor, a territory or a codebook concept, its profile. One call is one unit of
work that the web layer runs under the query time limit (in a worker process it can kill)."""

from __future__ import annotations

from dataclasses import dataclass

from essaim import namespaces as ns
from essaim.profiles.actor import ActorProfile, actor_profile
from essaim.profiles.concept import ConceptProfile, concept_profile
from essaim.profiles.generic import ResourceView, resource_view
from essaim.profiles.initiative import InitiativeProfile, initiative_profile
from essaim.profiles.territory import TerritoryProfile, territory_profile
from essaim.store.base import Dataset

E = ns.ESSAIM
_ACTOR_KINDS = {E + "Actor", E + "Organisation"}

Profile = InitiativeProfile | ActorProfile | TerritoryProfile | ConceptProfile


@dataclass(frozen=True)
class ResourcePage:
    """``kind``: initiative, actor, territory, concept, resource (any other), or missing (no
    such resource); ``profile`` for the first four."""

    kind: str
    view: ResourceView
    profile: Profile | None = None


def resource_page(store: Dataset, iri: str, lang: str) -> ResourcePage:
    view = resource_view(store, iri, lang)
    if not view.exists:
        return ResourcePage("missing", view)
    kinds = {t.iri for t in view.types}
    if E + "Initiative" in kinds:
        return ResourcePage("initiative", view, initiative_profile(store, iri, lang))
    if kinds & _ACTOR_KINDS:
        return ResourcePage("actor", view, actor_profile(store, iri, lang))
    if E + "Territory" in kinds:
        return ResourcePage("territory", view, territory_profile(store, iri, lang))
    if ns.SKOS + "Concept" in kinds:
        return ResourcePage("concept", view, concept_profile(store, iri, lang))
    return ResourcePage("resource", view)
