"""The UNDP Accelerator Labs experiments of the SDG Commons, as case documents.

Two steps: ``extract`` reads the original JSONL (not in the repository) and writes the committed
extract ``kb/sources/undp-sdg-commons/experiments.DERIVED.jsonl`` (the 302 experiment records, the
fields used, personal data removed); ``build`` (run by ``make kb``) turns the committed extract
into Turtle under ``kb/``::

    python -m essaim.ingest.undp extract --from PATH/sdg-commons-solutions-experiments.DERIVED.jsonl
    python -m essaim.ingest.undp build
"""

from __future__ import annotations

from pathlib import Path

#: The repository root (src/essaim/ingest/undp/ → four levels up).
ROOT = Path(__file__).resolve().parents[4]
SOURCES = ROOT / "kb" / "sources" / "undp-sdg-commons"
EXTRACT = SOURCES / "experiments.DERIVED.jsonl"
TEMPLATE = ROOT / "kb" / "templates" / "undp-accelerator-labs-experiment.toml"
