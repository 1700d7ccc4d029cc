"""A text cut into the sections of a template.

``split_sections(text, template)`` finds the heading lines the template knows and cuts the text
at them. Offsets are Python ``str`` indices, that is Unicode code points (a character outside the
Basic Multilingual Plane counts as one): ``text[section.start:section.end]`` is the whole
section, from its heading to the end of its last non-blank line (trailing blank lines excluded),
and ``section.body_start`` is where its answer begins (its first non-blank character after the
heading line, or ``end`` when the section is empty).

What opens a section:
- a line whose normalised key matches one of the template's headings (see
  :mod:`essaim.ingest.headings`);
- with the generic template (``any_heading``), every heading-like line;
- with any template, a Markdown heading (``# ...``), a line in bold, or a paragraph the reader
  knows is a heading (``heading_lines``, from a .docx's heading styles) that matches nothing:
  it opens an ``other-section`` and is listed in ``unmatched_headings``. Other heading-like lines
  that match nothing (``En 2006 :``) stay in the section's text: they are its structure.
- a line that begins with a template heading and a colon (``Freins : le manque de moyens``):
  the heading is the words up to the colon, and the answer follows on the same line.
The text before the first heading (the title line) is the section of the template's
``extract = "title"`` section, headed by its first non-blank line.

>>> from essaim.ingest.templates import load_template
>>> text = "Mon titre\\n\\nFreins :\\n\\nPas de moyens.\\n\\n## Autre chose\\nTexte\\n\\nLes jeunes"
>>> split = split_sections(text, load_template("cahier-2011"))
>>> [(s.type, s.heading) for s in split.sections][:2]
[('title-and-entry', 'Mon titre'), ('barriers', 'Freins :')]
>>> text[split.sections[1].start : split.sections[1].end]
'Freins :\\n\\nPas de moyens.'
>>> [s.type for s in split.sections][2:], split.unmatched_headings
(['other-section', 'youth'], ('## Autre chose',))
>>> text[split.sections[1].body_start:split.sections[1].end]
'Pas de moyens.'
>>> "actors" in split.missing_types, len(split.sections[3].body)
(True, 0)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from essaim.ingest.headings import SHORT_LINE, looks_like_heading
from essaim.ingest.templates import Template, TemplateSection

__all__ = ["OTHER", "Section", "SectionSplit", "lines", "split_sections"]

OTHER = "other-section"
_INLINE = re.compile(r"^(?P<heading>[^:：\n]{2,80}?)\s*(?P<colon>[:：])\s*\S")
_STRONG = re.compile(r"^\s*(?:#{1,6}\s+\S|(\*\*|__)\S.*(\*\*|__)\s*:?\s*$)")


@dataclass(frozen=True)
class Section:
    """One section: its type, verbatim heading and code-point offsets into the text."""

    type: str
    heading: str
    start: int
    end: int
    body_start: int
    text: str = field(repr=False, compare=False, default="")
    template_section: TemplateSection | None = field(repr=False, compare=False, default=None)

    @property
    def body(self) -> str:
        """The section's answer (its text after the heading line, trailing blanks excluded)."""
        return self.text[self.body_start : self.end]

    @property
    def extract(self) -> str:
        return self.template_section.extract if self.template_section else "none"


@dataclass(frozen=True)
class SectionSplit:
    """The sections found, the headings that matched nothing, the types not found."""

    template: Template
    sections: list[Section]
    unmatched_headings: tuple[str, ...]
    missing_types: tuple[str, ...]

    @property
    def matched_types(self) -> tuple[str, ...]:
        """The template's section types found by a heading (the title section excluded)."""
        title = self.template.title_section
        found = {
            s.type
            for s in self.sections
            if s.type != OTHER and not (title is not None and s.template_section is title)
        }
        return tuple(t for t in self.template.types if t in found)


def lines(text: str) -> Iterator[tuple[int, int, str]]:
    """Each line as (start, end, content): end excludes the line break (LF, CRLF or CR).

    >>> list(lines("a\\r\\nbc\\n"))
    [(0, 1, 'a'), (3, 5, 'bc'), (6, 6, '')]
    """
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        if match.start() == len(text) and match.group() == "" and text:
            if text.endswith(("\n", "\r")):
                yield match.start(), match.start(), ""
            break
        content = match.group().rstrip("\r\n")
        yield match.start(), match.start() + len(content), content
        if match.end() == len(text) and not match.group().endswith(("\n", "\r")):
            break


@dataclass
class _Open:
    type: str
    heading: str
    start: int
    heading_end: int
    template_section: TemplateSection | None


def _close(opened: _Open, last_end: int, text: str) -> Section:
    end = max(last_end, opened.heading_end)
    body_start = end
    match = re.compile(r"\S").search(text, opened.heading_end, end)
    if match is not None:
        body_start = match.start()
    return Section(
        type=opened.type,
        heading=opened.heading,
        start=opened.start,
        end=end,
        body_start=body_start,
        text=text,
        template_section=opened.template_section,
    )


def split_sections(
    text: str, template: Template, heading_lines: Collection[int] = ()
) -> SectionSplit:
    """Cut ``text`` into the sections of ``template`` (module docstring).

    ``heading_lines`` are start offsets of lines known to be headings (a .docx's heading styles).
    """
    known = set(heading_lines)
    title = template.title_section
    sections: list[Section] = []
    unmatched: list[str] = []
    opened: _Open | None = None
    last_end = 0
    for start, end, content in lines(text):
        stripped = content.strip()
        if not stripped:
            continue
        head_start = start + (len(content) - len(content.lstrip()))
        head_end = head_start + len(stripped)
        matched = template.section_for(stripped) if len(stripped) <= 2 * SHORT_LINE else None
        if matched is title and title is not None and not title.headings:
            matched = None
        heading = stripped
        if matched is None and not template.any_heading and opened is not None:
            inline = _INLINE.match(stripped)  # "Freins : le manque de moyens."
            if inline is not None:
                candidate = template.section_for(inline["heading"])
                if candidate is not None and candidate is not title:
                    matched, heading = candidate, stripped[: inline.end("colon")]
                    head_end = head_start + len(heading)
        opens: tuple[str, TemplateSection | None] | None = None
        if matched is not None:
            opens = (matched.type, matched)
        elif (
            start in known
            or _STRONG.match(content)
            or (template.any_heading and looks_like_heading(content))
        ):
            other = next((s for s in template.sections if s.type == OTHER), None)
            opens = (OTHER, other)
            if not template.any_heading:
                unmatched.append(stripped)
        if opened is None and (opens is None or (matched is None and title is not None)):
            # the first line: the title section, whatever marks it carries
            if opens is not None and not template.any_heading:
                unmatched.pop()
            opens = (title.type, title) if title is not None else (opens or (OTHER, None))
        if opens is not None:
            if opened is not None:
                sections.append(_close(opened, last_end, text))
            opened = _Open(opens[0], heading, head_start, head_end, opens[1])
        last_end = end
        # A trailing run of spaces belongs to the line, as the hand-modelled offsets count it.
    if opened is not None:
        sections.append(_close(opened, last_end, text))
    found = {s.type for s in sections}
    missing = (
        ()
        if template.any_heading
        else tuple(t for t in template.types if t not in found and t != OTHER)
    )
    return SectionSplit(template, sections, tuple(unmatched), missing)
