"""Readable profiles of the knowledge base's resources, for the web pages: an initiative, an
actor, a territory, a codebook concept, a graph, or any other resource. Each is built from a few
SPARQL queries with the resource's IRI bound, into plain dataclasses the templates show."""

from essaim.profiles.common import Link, Text, Value
from essaim.profiles.generic import ResourceView, kinds_of, resource_view
from essaim.profiles.initiative import InitiativeProfile, initiative_profile

__all__ = [
    "InitiativeProfile",
    "Link",
    "ResourceView",
    "Text",
    "Value",
    "initiative_profile",
    "kinds_of",
    "resource_view",
]
