"""Where the bundled data (ontology/, kb/, queries/) lives.

An installed essaim carries them as package data under ``essaim/_data``; a checkout (editable
install, or running from ``src/``) has them at the top of the repository. Nothing is read at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_NAMES = ("ontology", "kb", "queries")


class BundledDataMissing(RuntimeError):
    """Neither the package data nor a checkout holds essaim's ontology/, kb/ and queries/."""


@dataclass(frozen=True)
class BundledData:
    """The three data folders essaim ships: their common root and each folder."""

    root: Path

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def kb(self) -> Path:
        return self.root / "kb"

    @property
    def queries(self) -> Path:
        return self.root / "queries"


def _holds_data(root: Path) -> bool:
    return all((root / name).is_dir() for name in _NAMES)


def bundled_data() -> BundledData:
    """Locate the bundled data: the package's own copy first, then the checkout around it."""
    candidates = [_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent.parent]
    for root in candidates:
        if _holds_data(root):
            return BundledData(root)
    searched = ", ".join(str(c) for c in candidates)
    raise BundledDataMissing(
        f"essaim's data folders ({', '.join(_NAMES)}) were not found in {searched}; "
        "reinstall essaim or run it from a checkout."
    )
