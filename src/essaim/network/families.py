"""The actor families the network draws: the actor-type codebook's top concepts and the ESS
families under ``actor-type:ess-family``, each with its colour, in legend order.

>>> local_name(ACTOR_TYPE + "cooperative")
'cooperative'
>>> FAMILY_ORDER[ACTOR_TYPE + "association"] < FAMILY_ORDER[NOT_STATED]
True
"""

from __future__ import annotations

import re

from essaim.namespaces import CODEBOOK

ACTOR_TYPE = CODEBOOK + "actor-type/"
ESS_FAMILY = ACTOR_TYPE + "ess-family"
NOT_STATED = ACTOR_TYPE + "not-stated"

#: Families in legend order, with their Okabe-Ito colour. The ESS families are drawn filled,
#: the other actor types as rings, so a colour shared by one of each stays unambiguous.
FAMILY_COLOURS: dict[str, str] = {
    ACTOR_TYPE + "association": "#E69F00",  # orange
    ACTOR_TYPE + "cooperative": "#56B4E9",  # sky blue
    ACTOR_TYPE + "mutual-society": "#009E73",  # bluish green
    ACTOR_TYPE + "foundation": "#CC79A7",  # reddish purple
    ACTOR_TYPE + "ess-commercial-company": "#F0E442",  # yellow
    ESS_FAMILY: "#D55E00",  # vermillion
    ACTOR_TYPE + "public-body": "#0072B2",  # blue
    ACTOR_TYPE + "university": "#D55E00",
    ACTOR_TYPE + "network-federation": "#000000",
    ACTOR_TYPE + "company": "#CC79A7",
    ACTOR_TYPE + "informal-group": "#009E73",
    ACTOR_TYPE + "person": "#E69F00",
    NOT_STATED: "#8C8C8C",
}
FAMILY_ORDER = {iri: n for n, iri in enumerate(FAMILY_COLOURS)}
OTHER_COLOUR = "#8C8C8C"


def local_name(iri: str) -> str:
    """The last segment of ``iri`` (after its last ``/`` or ``#``)."""
    return re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri
