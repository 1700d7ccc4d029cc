"""The partnership network of an initiative, a territory or an actor, drawn as SVG on the server.

Two actors are partners when they take part in the same initiative (through an
``essaim:Participation`` or as its ``essaim:carrier``); the weight of their tie is the number of
initiatives they share. :func:`partnership_network` reads that network from the store (two
SPARQL queries over the union default graph, the focus bound with ``substitutions``) into a
``networkx.Graph``; :func:`render_svg` draws it as a standalone SVG that needs no JavaScript:
actors coloured by their family in the actor-type codebook (the ESS families filled, the other
actor types as rings, Okabe-Ito colours, which stay distinct for colour-blind readers), node size
by number of partners, edge width by shared initiatives, carriers circled, each node a link to
the actor's page.

The parts: :mod:`~essaim.network.reading` (the store to a graph),
:mod:`~essaim.network.layout` (deterministic: a circle for dense networks, networkx's
force-directed layout from a fixed start otherwise, labels placed only where they do not
collide), :mod:`~essaim.network.svg` (the picture and its legend), with the words in
:mod:`~essaim.network.messages`, text metrics in :mod:`~essaim.network.text` and the actor
families and their colours in :mod:`~essaim.network.families`.

>>> import networkx as nx
>>> graph = nx.Graph(lang="en")
>>> graph.add_node("https://example.org/a", label="A & <b>", family=None, family_label=None,
...                is_ess=False, is_carrier=True, initiatives=1)
>>> "A &amp; &lt;b&gt;" in render_svg(graph, lang="en")
True
"""

from essaim.network.families import FAMILY_COLOURS
from essaim.network.reading import partnership_network
from essaim.network.svg import render_svg

__all__ = ["FAMILY_COLOURS", "partnership_network", "render_svg"]
