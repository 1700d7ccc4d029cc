"""Importers of real sources into the knowledge base (issue 13), each reproducible from the
extracts committed under ``kb/sources/`` (``make kb``):

- :mod:`.geography` — the French official geography (INSEE COG 2026): régions and overseas
  collectivités, départements, EPCI, and the communes the knowledge base uses (the full commune
  layer is a separate generated file, ``build/kb/territories/fr-communes-cog-2026.ttl``);
- :mod:`.countries` — the ISO 3166 countries the sources use that no other file describes yet;
- :mod:`.cis` — the *La France s'engage* laureates of the Carrefour des innovations sociales;
- :mod:`.susy` — the SUSY / SSEDAS map of solidarity-economy initiatives;
- :mod:`.coopsuk` — Co-operatives UK in the ESSGlobal standard CSV, with the UK areas.
- :mod:`.geonames` and :mod:`.placement` — GeoNames places of France and the check that flags
  coordinates outside their stated département (used by :mod:`.cis`).

Two steps, as for the UNDP importer::

    python -m essaim.ingest.sources extract --from /path/to/shared/data   # makes kb/sources/…
    python -m essaim.ingest.sources build                                 # make kb
"""

from __future__ import annotations

from pathlib import Path

#: The repository root (src/essaim/ingest/sources/ → four levels up).
ROOT = Path(__file__).resolve().parents[4]
SOURCES = ROOT / "kb" / "sources"
