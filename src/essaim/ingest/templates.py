"""Case templates as data: the TOML files under kb/templates/ (``NAME.toml``).

A template file has top-level ``name``, ``title``, ``language``, optional ``versions`` (the
question-set versions it knows) and optional ``any_heading`` (true for the generic template: every
heading-like line opens a section); then ``[[sections]]`` tables with ``type`` (a concept of the
codebook's section-type scheme, local name), ``headings`` (variants; matched on their normalised
key, see :mod:`essaim.ingest.headings`), ``extract`` (one of :data:`EXTRACT_KINDS`) and optional
``versions``. A section whose ``extract`` is ``"title"`` takes the text before the first heading
(the document's title line and what follows it).

>>> cahier = bundled_templates()["cahier-2011"]
>>> cahier.language, cahier.section_for("Les acteurs").type
('fr', 'actors')
>>> cahier.section_for("SYNTHESE DE MON ESPERANCE EN UNE SEULE PHRASE :").extract
'summary'
>>> load_template("generic").any_heading
True
>>> load_template("nope")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
essaim.ingest.templates.TemplateError: no template is named 'nope' (known: cahier-2011, generic...)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from essaim.ingest.headings import heading_keys
from essaim.resources import bundled_data

__all__ = [
    "EXTRACT_KINDS",
    "Template",
    "TemplateError",
    "TemplateSection",
    "bundled_templates",
    "load_template",
    "templates_dir",
]

_ARTICLE = re.compile(r"^(?:les|le|la|l|des|the) ")

EXTRACT_KINDS = (
    "none",
    "summary",
    "title",
    "carrier",
    "actors-by-family",
    "actors",
    "actions-by-year",
    "proposals",
    "resources",
    "youth",
    "answer",
)


class TemplateError(ValueError):
    """A template that does not exist or does not follow the template format (one sentence)."""


@dataclass(frozen=True)
class TemplateSection:
    """One heading of a template: its section type, heading variants and what it states."""

    type: str
    headings: tuple[str, ...]
    extract: str = "none"
    versions: tuple[str, ...] = ()
    audience: str | None = None
    #: For ``actors-by-family``: actor-type concept (local name) → the labels the case lists
    #: actors under ("Associations", "Coopératives"...).
    families: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def family_for(self, label: str) -> str | None:
        """The actor type a family label names (normalised match), or None.

        >>> actors = load_template("cahier-2011").sections[9]
        >>> actors.family_for("Partenaires institutionnels"), actors.family_for("Amis")
        ('public-body', None)
        >>> actors.family_for("Les coopératives"), actors.family_for("The foundations")
        ('cooperative', 'foundation')
        """
        keys = set(heading_keys(label))
        keys |= {_ARTICLE.sub("", key, count=1) for key in keys}  # "Les associations"
        for family, labels in self.families:
            for known in labels:
                if heading_keys(known) & keys:
                    return family
        return None

    @property
    def keys(self) -> frozenset[str]:
        keys: set[str] = set()
        for heading in self.headings:
            keys |= heading_keys(heading)
        return frozenset(keys)


@dataclass(frozen=True)
class Template:
    """A case template: its name, title, language and sections (in their usual order)."""

    name: str
    title: str
    language: str
    sections: tuple[TemplateSection, ...]
    versions: tuple[str, ...] = ()
    any_heading: bool = False
    path: Path | None = None
    _index: dict[str, TemplateSection] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for section in self.sections:
            for key in section.keys:
                self._index.setdefault(key, section)

    def section_for(self, line: str) -> TemplateSection | None:
        """The template section a heading line matches, or None."""
        for key in sorted(heading_keys(line), key=len, reverse=True):
            found = self._index.get(key)
            if found is not None:
                return found
        return None

    @property
    def title_section(self) -> TemplateSection | None:
        return next((s for s in self.sections if s.extract == "title"), None)

    @property
    def types(self) -> tuple[str, ...]:
        """The section types the template expects, in order, each once."""
        return tuple(dict.fromkeys(s.type for s in self.sections))


def templates_dir() -> Path:
    """The folder of the bundled templates (kb/templates/)."""
    return bundled_data().kb / "templates"


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TemplateError(f"{where} must be a string or a list of strings")
    return tuple(value)


def _parse(data: dict[str, Any], path: Path) -> Template:
    where = path.name
    for key in ("name", "title", "language"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise TemplateError(f"template {where} has no {key} (a non-empty string)")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise TemplateError(f"template {where} has no [[sections]]")
    sections = []
    for number, raw in enumerate(raw_sections, start=1):
        here = f"section {number} of template {where}"
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise TemplateError(f"{here} has no type")
        extract = raw.get("extract", "none")
        if extract not in EXTRACT_KINDS:
            raise TemplateError(
                f"{here} has extract {extract!r}, not one of {', '.join(EXTRACT_KINDS)}"
            )
        audience = raw.get("audience")
        if audience is not None and not isinstance(audience, str):
            raise TemplateError(f"{here} has an audience that is not a string")
        raw_families = raw.get("families", {})
        if not isinstance(raw_families, dict):
            raise TemplateError(f"{here} has families that are not a table")
        families = tuple(
            (family, _strings(labels, f"the labels of family {family} in {here}"))
            for family, labels in raw_families.items()
        )
        sections.append(
            TemplateSection(
                type=raw["type"],
                headings=_strings(raw.get("headings", []), f"the headings of {here}"),
                extract=extract,
                versions=_strings(raw.get("versions", []), f"the versions of {here}"),
                audience=audience,
                families=families,
            )
        )
    return Template(
        name=data["name"],
        title=data["title"],
        language=data["language"],
        sections=tuple(sections),
        versions=_strings(data.get("versions", []), f"the versions of template {where}"),
        any_heading=bool(data.get("any_heading", False)),
        path=path,
    )


def _read(path: Path) -> Template:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(f"template {path.name} is not valid TOML: {error}") from None
    return _parse(data, path)


def bundled_templates() -> dict[str, Template]:
    """Every template under kb/templates/, by name."""
    found = {}
    for path in sorted(templates_dir().glob("*.toml")):
        template = _read(path)
        found[template.name] = template
    return found


def load_template(name_or_path: str | Path) -> Template:
    """A bundled template by name, or a template file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return _read(path)
    templates = bundled_templates()
    if str(name_or_path) in templates:
        return templates[str(name_or_path)]
    known = ", ".join(sorted(templates))
    raise TemplateError(f"no template is named {str(name_or_path)!r} (known: {known})")
