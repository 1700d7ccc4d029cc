"""What a template's sections state plainly: extraction, nothing interpreted.

Each extracted fact keeps the passage it comes from (code-point offsets into the text). By the
section's ``extract``:

- ``title``: the first line of the text (the title); a following line "Cahier de l'entrée X"
  gives the entry X.
- ``summary``: the section's answer, whole.
- ``carrier``: the first line of the answer (without bullet or final period).
- ``actors-by-family``: lines "Family : A, B, C…" whose family label the template's
  ``families`` table knows, or a family label alone on its line followed by one actor per line
  or bullet; a short bullet outside any family is an actor listed without one. Names are
  separated by commas, semicolons, line breaks or " puis " / " then " (two successive
  organisations); a list ending with "…", "..." or "etc." is incomplete. The same name twice
  in a case is one actor with two passages. Other lines (prose) are skipped.
- ``actors``: a plain list of named actors (no families), as a questionnaire answers "list the
  names of partners": names separated by commas, semicolons or line breaks (outside
  parentheses), each line without its bullet or numbering and without a leading category label
  ("Public sector: A, B"); a piece that does not read as a name — longer than 80 characters or
  12 words, beginning in lower case (prose, or the tail of a name cut at a comma), a removed
  name — is skipped and counted in the notes.
- ``actions-by-year``: a line "En 2006 :", "In 2006:", "Depuis 2008 :", "Since 2008:",
  "Dès 2006 :", "2006 :" opens a year; each bullet under it (``-``, ``*``, ``•``, ``–``, ``—``,
  ``▪``, ``◦``, ``·``, ``+``, ``1.``, ``1)``, ``a)``) is an action of that year ("depuis",
  "since", "dès", "from" give a start year); text after the colon is one action; a line that is
  not a bullet closes the year. Actions told in prose are left to coders.
- ``proposals``: each paragraph or bullet of the answer is a proposal to the section's
  ``audience``.
- ``resources``: each paragraph or bullet is a resource use (its type is left to coders).
- ``youth``: the answer, whole, is what the case says of young people's place.
- ``answer`` and ``none``: the section itself, nothing more.

>>> from essaim.ingest.templates import load_template
>>> from essaim.ingest.sections import split_sections
>>> text = "Titre\\n\\nL'organisation\\n\\nEn 2006 :\\n - Forum\\n * Atelier\\n\\nLes acteurs\\n\\n"
>>> text += "Associations : A, B puis C…\\nCoopératives :\\n• D\\n"
>>> found = extract(text, split_sections(text, load_template("cahier-2011")))
>>> [(text[a.passage.start:a.passage.end], a.year, a.since) for a in found.actions]
[('Forum', 2006, False), ('Atelier', 2006, False)]
>>> [(a.name, a.family) for a in found.actors], found.actor_list_incomplete
([('A', 'association'), ('B', 'association'), ('C', 'association'), ('D', 'cooperative')], True)
>>> from essaim.ingest.templates import Template, TemplateSection
>>> partners = Template("demo", "demo", "en", sections=(
...     TemplateSection("experiment-partners", ("List the partners:",), extract="actors"),))
>>> text = "List the partners:\\n\\n1. Ministry of Health; 2. Lusaka City Council\\n"
>>> text += "Public sector: Tourist Police, and other volunteer organizations\\n[name removed]"
>>> [a.name for a in extract(text, split_sections(text, partners)).actors]
['Ministry of Health', 'Lusaka City Council', 'Tourist Police']
>>> text = "T\\n\\nL'organisation\\n\\nDepuis 2008 : Cafés\\nForums\\n"
>>> found = extract(text, split_sections(text, load_template("cahier-2011")))
>>> [(text[a.passage.start:a.passage.end], a.year, a.since) for a in found.actions]
[('Cafés', 2008, True), ('Forums', 2008, True)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from essaim.ingest.headings import normalise
from essaim.ingest.sections import Section, SectionSplit, lines

__all__ = [
    "Extraction",
    "ListedActor",
    "Passage",
    "extract",
]

BULLET = re.compile(r"^[ \t\u00a0]*(?:[-*•–—▪◦·‣+]|\d{1,3}[.)]|[a-zA-Z][.)])[ \t\u00a0]+")
_YEAR = re.compile(
    r"^(?:(?P<marker>en|in|depuis|since|d[eè]s|from|a partir de|à partir de|année|year)\s+)?"
    r"(?P<year>1[89]\d\d|20\d\d)\s*[:：]\s*",
    re.IGNORECASE,
)
_SINCE = {"depuis", "since", "des", "dès", "from", "a partir de", "à partir de"}
_ENTRY = re.compile(r"^cahier de l\W?\s*entr[ée]e\s+", re.IGNORECASE)
_TRAILING_ETC = re.compile(r"(?:\s*(?:…|\.\.\.+|\betc\b\.?))+[.\s]*$", re.IGNORECASE)
_SPACES = " \t\u00a0\u202f"
_STRIP = _SPACES + "\"'«»“”.;,"
_FAMILY_LINE = re.compile(r"^(?P<label>[^:：\n]{2,60}?)\s*[:：]\s*(?P<rest>.*)$")
_SUCCESSION = re.compile(r"\s+(?:puis|then)\s+", re.IGNORECASE)
_LONG_LINE = 100


@dataclass(frozen=True)
class Passage:
    """Code-point offsets of a passage: ``text[start:end]``."""

    start: int
    end: int


@dataclass
class ListedActor:
    """An actor the case names, with the family it lists it under and its passages."""

    name: str
    family: str | None
    passages: list[Passage]
    family_label: str | None = None
    carrier: bool = False
    listed: bool = True


@dataclass(frozen=True)
class ExtractedAction:
    passage: Passage
    year: int | None
    since: bool
    year_passage: Passage | None


@dataclass(frozen=True)
class ExtractedProposal:
    passage: Passage
    audience: str


@dataclass
class Extraction:
    """Everything the template's sections state plainly, with passages."""

    title: Passage | None = None
    entry: Passage | None = None
    summary: Passage | None = None
    carrier: ListedActor | None = None
    actors: list[ListedActor] = field(default_factory=list)
    actor_list_incomplete: bool = False
    actions: list[ExtractedAction] = field(default_factory=list)
    proposals: list[ExtractedProposal] = field(default_factory=list)
    resources: list[Passage] = field(default_factory=list)
    youth: list[Passage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def states_facts(self) -> bool:
        return bool(
            self.summary
            or self.carrier
            or self.actors
            or self.actions
            or self.proposals
            or self.resources
            or self.youth
        )


def _trim(text: str, start: int, end: int) -> Passage | None:
    """The passage without surrounding spaces, or None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Passage(start, end) if start < end else None


def _strip(text: str, start: int, end: int, chars: str = _STRIP) -> Passage | None:
    while start < end and text[start] in chars + "\n\r":
        start += 1
    while end > start and text[end - 1] in chars + "\n\r":
        end -= 1
    return Passage(start, end) if start < end else None


@dataclass(frozen=True)
class _Item:
    """A paragraph or bullet of an answer: its passage (bullet mark excluded)."""

    passage: Passage
    bullet: bool
    first_line: tuple[int, int]


def _items(text: str, section: Section) -> list[_Item]:
    """The answer's paragraphs (blank-line separated) and bullets (each its own item)."""
    found: list[_Item] = []
    current: list[int] | None = None  # [start, end, bullet, line_start, line_end]
    for start, end, content in _body_lines(text, section):
        if not content.strip():
            if current is not None:
                found.append(_close(text, current))
                current = None
            continue
        bullet = BULLET.match(content)
        if bullet is not None or current is None:
            if current is not None:
                found.append(_close(text, current))
            begin = start + (bullet.end() if bullet else 0)
            current = [begin, end, 1 if bullet else 0, start, end]
        else:
            current[1] = end
    if current is not None:
        found.append(_close(text, current))
    return [item for item in found if item.passage.start < item.passage.end]


def _body_lines(text: str, section: Section) -> list[tuple[int, int, str]]:
    """The lines of a section after its heading line: (start, end, content), offsets in text."""
    heading_end = section.start + len(section.heading)
    base = section.start
    found = []
    for start, end, content in lines(text[section.start : section.end]):
        if base + start >= heading_end:
            found.append((base + start, base + end, content))
        elif base + end > heading_end:  # an answer on the heading's line ("Freins : …")
            found.append((heading_end, base + end, text[heading_end : base + end]))
    return found


def _close(text: str, current: list[int]) -> _Item:
    passage = _trim(text, current[0], current[1]) or Passage(current[0], current[0])
    return _Item(passage, bool(current[2]), (current[3], current[4]))


def extract(text: str, split: SectionSplit) -> Extraction:
    """The facts the sections of ``split`` state plainly (module docstring)."""
    found = Extraction()
    actors: dict[tuple[str, str | None], ListedActor] = {}
    for section in split.sections:
        kind = section.extract
        if kind == "title":
            _title(text, section, found)
        elif kind == "summary":
            found.summary = _trim(text, section.body_start, section.end)
        elif kind == "carrier":
            _carrier(text, section, found)
        elif kind == "actors-by-family":
            _actors(text, section, found, actors)
        elif kind == "actors":
            _named_actors(text, section, found, actors)
        elif kind == "actions-by-year":
            _actions(text, section, found)
        elif kind == "proposals":
            audience = section.template_section.audience if section.template_section else None
            if audience is None:
                found.notes.append(f"section « {section.heading} » names no audience: skipped")
                continue
            for item in _items(text, section):
                found.proposals.append(ExtractedProposal(item.passage, audience))
        elif kind == "resources":
            found.resources += [item.passage for item in _items(text, section)]
        elif kind == "youth":
            passage = _trim(text, section.body_start, section.end)
            if passage is not None:
                found.youth.append(passage)
    found.actors = list(actors.values())
    if found.carrier is not None:
        key = normalise(text[found.carrier.passages[0].start : found.carrier.passages[0].end])
        for actor in found.actors:
            if normalise(actor.name) == key:
                actor.carrier = True
                actor.passages.insert(0, found.carrier.passages[0])
                found.carrier = actor
                break
        else:
            found.carrier.listed = False
    return found


def _title(text: str, section: Section, found: Extraction) -> None:
    if found.title is not None:
        return
    found.title = _trim(text, section.start, section.start + len(section.heading))
    for item in _items(text, section):
        line = text[item.passage.start : item.passage.end]
        match = _ENTRY.match(line)
        if match is not None and found.entry is None:
            found.entry = _strip(text, item.passage.start + match.end(), item.passage.end)


def _carrier(text: str, section: Section, found: Extraction) -> None:
    items = _items(text, section)
    if not items or found.carrier is not None:
        return
    first = items[0].first_line
    passage = _strip(text, max(items[0].passage.start, first[0]), first[1])
    if passage is None:
        return
    name = text[passage.start : passage.end]
    found.carrier = ListedActor(name, None, [passage], carrier=True, listed=False)


def _names(text: str, start: int, end: int) -> tuple[list[Passage], bool]:
    """The names in text[start:end], split on separators outside parentheses; whether the
    list ends with an ellipsis or etc."""
    chunk = text[start:end]
    incomplete = False
    tail = _TRAILING_ETC.search(chunk)
    if tail is not None and tail.start() < len(chunk):
        incomplete = "…" in tail.group() or "." * 3 in tail.group() or "etc" in tail.group()
        end = start + tail.start() if incomplete else end
    pieces: list[Passage] = []
    depth = 0
    begin = start
    for index in range(start, end):
        char = text[index]
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        elif char in ",;\n" and depth == 0:
            pieces.append(Passage(begin, index))
            begin = index + 1
    pieces.append(Passage(begin, end))
    names: list[Passage] = []
    for piece in pieces:
        cuts = [Passage(piece.start, piece.end)]
        succession = list(_SUCCESSION.finditer(text, piece.start, piece.end))
        if succession:
            cuts, at = [], piece.start
            for match in succession:
                cuts.append(Passage(at, match.start()))
                at = match.end()
            cuts.append(Passage(at, piece.end))
        for cut in cuts:
            bullet = BULLET.match(text[cut.start : cut.end])
            begin_at = cut.start + bullet.end() if bullet else cut.start
            stripped = _strip(text, begin_at, cut.end)
            if stripped is not None and normalise(text[stripped.start : stripped.end]):
                names.append(stripped)
    return names, incomplete


def _actors(
    text: str,
    section: Section,
    found: Extraction,
    actors: dict[tuple[str, str | None], ListedActor],
) -> None:
    template = section.template_section
    if template is None:
        return
    family: str | None = None
    label: str | None = None
    collecting = False
    pending_end = False
    for start, end, content in _body_lines(text, section):
        stripped = content.strip(_SPACES)
        if not stripped:
            pending_end = collecting
            continue
        bullet = BULLET.match(content)
        body_start = start + (bullet.end() if bullet else 0)
        line = text[body_start:end]
        match = _FAMILY_LINE.match(line)
        known = template.family_for(match["label"]) if match is not None else None
        if match is not None and known is not None:
            family, label = known, match["label"].strip(_SPACES)
            rest_start = body_start + match.start("rest")
            if text[rest_start:end].strip(_SPACES):
                names, incomplete = _names(text, rest_start, end)
                _add(text, names, family, label, actors)
                found.actor_list_incomplete |= incomplete
                collecting = False
            else:
                collecting = True
            pending_end = False
            continue
        if collecting and (len(stripped) > _LONG_LINE or (pending_end and not bullet)):
            collecting = False
        if not collecting and bullet is not None and len(stripped) <= _LONG_LINE:
            # a bullet outside any family: an actor the case lists without a family
            names, incomplete = _names(text, body_start, end)
            _add(text, names, None, None, actors)
            found.actor_list_incomplete |= incomplete
            continue
        if collecting:
            names, incomplete = _names(text, body_start, end)
            _add(text, names, family, label, actors)
            found.actor_list_incomplete |= incomplete
            pending_end = False


_NAME_MAX_CHARS = 80
_NAME_MAX_WORDS = 12
_REMOVED = "[name removed]"


def _named_actors(
    text: str,
    section: Section,
    found: Extraction,
    actors: dict[tuple[str, str | None], ListedActor],
) -> None:
    skipped = 0
    for start, end, content in _body_lines(text, section):
        if not content.strip(_SPACES):
            continue
        bullet = BULLET.match(content)
        begin = start + (bullet.end() if bullet else 0)
        label = _FAMILY_LINE.match(text[begin:end])
        if label is not None and len(label["label"].split()) <= 3 and label["rest"].strip():
            begin += label.start("rest")
        names, incomplete = _names(text, begin, end)
        found.actor_list_incomplete |= incomplete
        kept = []
        for passage in names:
            name = text[passage.start : passage.end]
            if (
                len(name) > _NAME_MAX_CHARS
                or len(name.split()) > _NAME_MAX_WORDS
                or name[0].islower()
                or _REMOVED in name
            ):
                skipped += 1
            else:
                kept.append(passage)
        _add(text, kept, None, None, actors)
    if skipped:
        found.notes.append(
            f"section « {section.heading.strip()} »: {skipped} piece(s) of the list did not "
            "read as names (prose, a name cut at a comma, a removed name): left to coders"
        )


def _add(
    text: str,
    names: list[Passage],
    family: str | None,
    label: str | None,
    actors: dict[tuple[str, str | None], ListedActor],
) -> None:
    for passage in names:
        name = text[passage.start : passage.end]
        key = (normalise(name), family)
        if key in actors:
            actors[key].passages.append(passage)
        else:
            actors[key] = ListedActor(name, family, [passage], family_label=label)


def _actions(text: str, section: Section, found: Extraction) -> None:
    year: int | None = None
    since = False
    year_passage: Passage | None = None
    for item in _items(text, section):
        line = text[item.passage.start : item.passage.end]
        match = _YEAR.match(line)
        if match is not None and not item.bullet:
            year = int(match["year"])
            marker = normalise(match["marker"] or "")
            since = marker in {normalise(m) for m in _SINCE}
            header_end = item.passage.start + match.end()
            colon = text.rfind(":", item.passage.start, header_end)
            colon = max(colon, text.rfind("：", item.passage.start, header_end))
            year_passage = Passage(item.passage.start, colon + 1)
            # The year line's first line may carry one action; later lines of the paragraph too
            # text after the colon, and each further line of the paragraph: one action each
            at = header_end
            for piece in text[header_end : item.passage.end].split("\n"):
                rest = _trim(text, at, at + len(piece))
                at += len(piece) + 1
                if rest is not None:
                    found.actions.append(ExtractedAction(rest, year, since, year_passage))
            continue
        if year is None:
            continue
        if item.bullet:
            found.actions.append(ExtractedAction(item.passage, year, since, year_passage))
        else:
            year, since, year_passage = None, False, None
