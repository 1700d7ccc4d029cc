"""Crisp-set Qualitative Comparative Analysis (csQCA): calibration by declared rules, the truth
table, Boolean minimisation (Quine–McCluskey with the prime implicant chart), the solutions'
consistency and coverage, and the limits (limited diversity, contradictory rows).

**Why a module of our own.** The two maintained Python packages were compared on Ragin's crisp
Lipset data (``tests/data/qca/lipset-crisp.csv``; the R package QCA's ``LC``): both reproduce
its truth table and its complex (``DEV*~URB*LIT*STB + DEV*LIT*IND*STB``) and parsimonious
(``DEV*STB``) solutions. ``setqca`` 0.2.0 (typed, exact, every tied solution, checked against
R QCA) requires ``pandas<3``, which the analysis extra cannot take; ``pyqca`` 0.2.0 ships no
type information, reports the solution's coverage on every term (no raw and unique coverage per
term), flags no contradictory row and refuses a missing value with a message about the
``[0, 1]`` range. The textbook procedure is small: it is written out here, stdlib only, and
checked against the same published truth table and solutions (``tests/test_analysis_qca.py``).

**Conventions** (those of Ragin 2008 and of the R package QCA):

- A *configuration* is a tuple of 0/1, one per condition in the order given; its *minterm* is
  that tuple read as a binary number (the first condition is the most significant bit), so the
  truth table's rows come in minterm order.
- A row's *consistency* is the share of its cases that show the outcome. Its output is ``"1"``
  when it holds at least ``n_cut`` cases and its consistency is at least ``incl_cut``, ``"0"``
  when it holds at least ``n_cut`` cases below that, and ``"?"`` (a *logical remainder*) when
  it holds fewer than ``n_cut`` cases (none, by default). A row whose cases disagree on the
  outcome is *contradictory*, whatever its output.
- The *complex* (conservative) solution minimises the positive rows alone; the *parsimonious*
  one may also use the remainders (each remainder it covers is a *simplifying assumption*).
  Every minimal cover of the prime implicant chart (fewest prime implicants) is returned, as R
  returns its tied models.
- A term's *consistency* is the share of the cases it covers that show the outcome; its *raw
  coverage* the share of the outcome's cases it covers; its *unique coverage* the share that it
  alone covers among the solution's terms.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

#: A raw value before calibration: a number, a label, several labels, or nothing.
Raw = str | int | float | bool | Collection[str] | None
RuleKind = Literal["at-least", "below", "any-of", "distinct-at-least"]
Output = Literal["1", "0", "?"]

#: Conditions beyond this make a truth table too large to list (2^k rows).
MAX_CONDITIONS = 16
#: Steps of the exact cover search before the prime implicant chart is declared too large.
MAX_COVERS = 100_000


class QCAError(ValueError):
    """The data or the settings cannot be analysed; the message says what and where."""


# ---------------------------------------------------------------------------- calibration


def _is_missing(raw: Raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, Collection):
        return len(raw) == 0
    return False


def _labels(raw: Raw) -> frozenset[str]:
    if isinstance(raw, str):
        return frozenset({raw.strip()})
    if isinstance(raw, Collection):
        return frozenset(str(v).strip() for v in raw)
    return frozenset({str(raw)})


@dataclass(frozen=True)
class Rule:
    """How a raw field becomes a crisp set: build one with :func:`at_least`, :func:`below`,
    :func:`any_of` or :func:`distinct_at_least`. A field that is absent, empty or one of the
    ``unknown`` labels gives a missing membership (the case is then dropped, and counted)."""

    condition: str
    field: str
    kind: RuleKind
    threshold: float = 0.0
    members: frozenset[str] = frozenset()
    unknown: frozenset[str] = frozenset()
    #: The labels the field may hold (members included); any other label is refused.
    domain: frozenset[str] | None = None

    def describe(self) -> str:
        """The rule in one English sentence (the notebooks print it before any result)."""
        if self.kind == "at-least":
            test = f"{self.field} ≥ {self.threshold:g}"
        elif self.kind == "below":
            test = f"{self.field} < {self.threshold:g}"
        elif self.kind == "any-of":
            test = f"{self.field} is (or includes) one of: " + "; ".join(sorted(self.members))
        else:
            test = f"{self.field} names at least {self.threshold:g} distinct values"
        unknown = " or one of: " + "; ".join(sorted(self.unknown)) if self.unknown else ""
        return f"{self.condition} = 1 when {test}, else 0; missing when not given{unknown}"

    def apply(self, case: str, raw: Raw) -> int | None:
        """The membership (0 or 1) of ``case`` given its raw value, or None when missing."""
        if _is_missing(raw):
            return None
        if self.kind in ("at-least", "below"):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise QCAError(
                    f"case {case!r}: {self.field} = {raw!r} is not a number "
                    f"(rule for {self.condition})"
                )
            return int(raw >= self.threshold if self.kind == "at-least" else raw < self.threshold)
        labels = _labels(raw)
        if labels & self.unknown:
            return None
        if self.domain is not None and not labels <= self.domain:
            strange = ", ".join(repr(v) for v in sorted(labels - self.domain))
            raise QCAError(
                f"case {case!r}: {self.field} holds {strange}, which the rule for "
                f"{self.condition} does not know (add it to the rule's domain or unknown values)"
            )
        if self.kind == "any-of":
            return int(bool(labels & self.members))
        return int(len(labels) >= self.threshold)


def at_least(condition: str, field: str, threshold: float) -> Rule:
    """In the set when the number ``field`` is at least ``threshold``."""
    return Rule(condition, field, "at-least", threshold=threshold)


def below(condition: str, field: str, threshold: float) -> Rule:
    """In the set when the number ``field`` is below ``threshold`` (a decreasing set)."""
    return Rule(condition, field, "below", threshold=threshold)


def any_of(
    condition: str,
    field: str,
    members: Iterable[str],
    *,
    unknown: Iterable[str] = (),
    domain: Iterable[str] | None = None,
) -> Rule:
    """In the set when the label ``field`` (or one of its labels) is one of ``members``."""
    members = frozenset(members)
    unknown = frozenset(unknown)
    known = None if domain is None else frozenset(domain) | members | unknown
    return Rule(condition, field, "any-of", members=members, unknown=unknown, domain=known)


def distinct_at_least(
    condition: str, field: str, count: int, *, unknown: Iterable[str] = ()
) -> Rule:
    """In the set when the labels of ``field`` are at least ``count`` distinct values."""
    return Rule(condition, field, "distinct-at-least", threshold=count, unknown=frozenset(unknown))


@dataclass(frozen=True)
class Calibrated:
    """Crisp data from :func:`calibrate`: the complete cases, and those dropped with the sets
    each lacked."""

    conditions: tuple[str, ...]
    outcome: str
    data: dict[str, dict[str, int]]
    dropped: dict[str, tuple[str, ...]]

    def missing_counts(self) -> dict[str, int]:
        """For each set, the number of dropped cases that lacked it."""
        counts = {name: 0 for name in (*self.conditions, self.outcome)}
        for lacking in self.dropped.values():
            for name in lacking:
                counts[name] += 1
        return counts


def calibrate(
    cases: Mapping[str, Mapping[str, Raw]], conditions: Sequence[Rule], outcome: Rule
) -> Calibrated:
    """Apply the rules to each case's raw fields; a case with any missing membership is
    dropped (listed in ``dropped``), never guessed."""
    rules = [*conditions, outcome]
    names = [r.condition for r in rules]
    if len(set(names)) != len(names):
        raise QCAError(f"two rules make the same set: {', '.join(names)}")
    data: dict[str, dict[str, int]] = {}
    dropped: dict[str, tuple[str, ...]] = {}
    for case, raw in cases.items():
        values = {r.condition: r.apply(case, raw.get(r.field)) for r in rules}
        lacking = tuple(name for name, v in values.items() if v is None)
        if lacking:
            dropped[case] = lacking
        else:
            data[case] = {name: v for name, v in values.items() if v is not None}
    return Calibrated(tuple(r.condition for r in conditions), outcome.condition, data, dropped)


# ---------------------------------------------------------------------------- truth table


@dataclass(frozen=True)
class Row:
    """One configuration of the truth table and the cases in it."""

    configuration: tuple[int, ...]
    cases: tuple[str, ...]
    positive: tuple[str, ...]  # the cases that show the outcome
    output: Output

    @property
    def minterm(self) -> int:
        return _minterm(self.configuration)

    @property
    def n(self) -> int:
        return len(self.cases)

    @property
    def consistency(self) -> float | None:
        return len(self.positive) / len(self.cases) if self.cases else None

    @property
    def contradictory(self) -> bool:
        """Cases of this configuration disagree: some show the outcome, some do not."""
        return 0 < len(self.positive) < len(self.cases)


@dataclass(frozen=True)
class Diversity:
    """How much of the property space the cases fill (limited diversity)."""

    conditions: int
    cases: int
    possible: int  # 2^k configurations
    observed: int  # configurations with at least one case
    below_frequency: int  # observed, but with fewer cases than n_cut (treated as remainders)

    @property
    def remainders(self) -> int:
        return self.possible - self.observed + self.below_frequency

    @property
    def share_observed(self) -> float:
        return self.observed / self.possible

    def statement(self, lang: str = "en") -> str:
        """Limited diversity in one sentence, in English or French (``lang="fr"``)."""
        share = f"{100 * self.share_observed:.0f}"
        empty = self.possible - self.observed
        if lang == "fr":
            text = (
                f"{self.conditions} conditions donnent {self.possible} configurations possibles ; "
                f"les {self.cases} cas en présentent {self.observed} ({share} %) ; "
            )
            if not self.below_frequency:
                return text + f"{empty} sont des rémanents logiques (sans cas)."
            return text + (
                f"{self.remainders} sont traitées comme des rémanents logiques : {empty} sans "
                f"cas et {self.below_frequency} avec moins de cas que le seuil de fréquence."
            )
        text = (
            f"{self.conditions} conditions give {self.possible} possible configurations; "
            f"the {self.cases} cases show {self.observed} of them ({share}%); "
        )
        if not self.below_frequency:
            return text + f"{empty} are logical remainders (no case)."
        return text + (
            f"{self.remainders} are treated as logical remainders: {empty} without any case and "
            f"{self.below_frequency} with fewer cases than the frequency threshold."
        )


@dataclass(frozen=True)
class TruthTable:
    conditions: tuple[str, ...]
    outcome: str
    incl_cut: float
    n_cut: int
    rows: tuple[Row, ...]  # all 2^k configurations, in minterm order
    data: Mapping[str, Mapping[str, int]] = field(repr=False)

    @property
    def observed(self) -> list[Row]:
        return [r for r in self.rows if r.n]

    @property
    def positive_rows(self) -> list[Row]:
        return [r for r in self.rows if r.output == "1"]

    @property
    def contradictions(self) -> list[Row]:
        return [r for r in self.rows if r.contradictory]

    @property
    def remainders(self) -> list[Row]:
        return [r for r in self.rows if r.output == "?"]

    @property
    def positive_cases(self) -> list[str]:
        return sorted(c for c, v in self.data.items() if v[self.outcome] == 1)

    def diversity(self) -> Diversity:
        observed = self.observed
        return Diversity(
            conditions=len(self.conditions),
            cases=len(self.data),
            possible=len(self.rows),
            observed=len(observed),
            below_frequency=sum(1 for r in observed if r.output == "?"),
        )

    def records(self, *, remainders: bool = False) -> list[dict[str, object]]:
        """The rows as plain records (a DataFrame's input), observed rows only unless
        ``remainders``."""
        return [
            {
                **dict(zip(self.conditions, row.configuration, strict=True)),
                "OUT": row.output,
                "n": row.n,
                "consistency": row.consistency,
                "contradictory": row.contradictory,
                "cases": ", ".join(row.cases),
            }
            for row in self.rows
            if row.n or remainders
        ]


def _minterm(configuration: Sequence[int]) -> int:
    value = 0
    for bit in configuration:
        value = value * 2 + bit
    return value


def _configuration(minterm: int, width: int) -> tuple[int, ...]:
    return tuple((minterm >> (width - 1 - i)) & 1 for i in range(width))


def _crisp(case: str, name: str, value: object) -> int:
    """0 or 1 from an int, a bool, a float or a numpy number (a DataFrame's cells)."""
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            raise QCAError(f"case {case!r}: {name} is missing")
        if number in (0.0, 1.0):
            return int(number)
    if value is None:
        raise QCAError(f"case {case!r}: {name} is missing")
    raise QCAError(f"case {case!r}: {name} = {value!r} is not a crisp membership (0 or 1)")


def _check_names(conditions: Sequence[str], outcome: str) -> None:
    if not conditions:
        raise QCAError("no condition given: a truth table needs at least one")
    if len(conditions) > MAX_CONDITIONS:
        raise QCAError(f"{len(conditions)} conditions: at most {MAX_CONDITIONS} (2^k rows to list)")
    if len(set(conditions)) != len(conditions):
        raise QCAError(f"a condition is named twice: {', '.join(conditions)}")
    if outcome in conditions:
        raise QCAError(f"the outcome {outcome!r} is also given as a condition")


def truth_table(
    data: Mapping[str, Mapping[str, object]],
    conditions: Sequence[str],
    outcome: str,
    *,
    incl_cut: float = 1.0,
    n_cut: int = 1,
) -> TruthTable:
    """The truth table of crisp ``data`` (case → set → 0 or 1). A missing value or a value
    other than 0 and 1 is refused, naming every case concerned: calibrate first (which drops
    and counts the incomplete cases)."""
    conditions = tuple(conditions)
    _check_names(conditions, outcome)
    if not 0 < incl_cut <= 1:
        raise QCAError(f"incl_cut = {incl_cut!r}: a consistency threshold in (0, 1]")
    if isinstance(n_cut, bool) or not isinstance(n_cut, int) or n_cut < 1:
        raise QCAError(f"n_cut = {n_cut!r}: a frequency threshold of at least 1 case")
    if not data:
        raise QCAError("no case: a truth table needs data")
    problems: list[str] = []
    crisp: dict[str, dict[str, int]] = {}
    for case, values in data.items():
        row: dict[str, int] = {}
        for name in (*conditions, outcome):
            try:
                row[name] = _crisp(case, name, values.get(name))
            except QCAError as exc:
                problems.append(str(exc))
        crisp[case] = row
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise QCAError(
            f"{len(problems)} value(s) cannot enter a crisp truth table: {shown} "
            "(calibrate the raw data first: calibrate() drops incomplete cases and counts them)"
        )
    width = len(conditions)
    by_minterm: dict[int, list[str]] = {}
    for case, values in crisp.items():
        by_minterm.setdefault(_minterm([values[c] for c in conditions]), []).append(case)
    rows = []
    for minterm in range(2**width):
        cases = tuple(sorted(by_minterm.get(minterm, [])))
        positive = tuple(c for c in cases if crisp[c][outcome] == 1)
        output: Output
        if len(cases) < n_cut or not cases:
            output = "?"
        elif len(positive) / len(cases) >= incl_cut:
            output = "1"
        else:
            output = "0"
        rows.append(Row(_configuration(minterm, width), cases, positive, output))
    return TruthTable(conditions, outcome, incl_cut, n_cut, tuple(rows), crisp)


# ---------------------------------------------------------------------------- minimisation


@dataclass(frozen=True)
class Term:
    """A conjunction: for each condition 1 (present), 0 (absent) or None (eliminated)."""

    literals: tuple[int | None, ...]

    def covers(self, configuration: Sequence[int]) -> bool:
        return all(v is None or v == c for v, c in zip(self.literals, configuration, strict=True))

    @property
    def size(self) -> int:
        return sum(v is not None for v in self.literals)

    def expression(self, conditions: Sequence[str]) -> str:
        """``DEV*~URB*LIT``; ``1`` for the empty conjunction (always true)."""
        parts = [
            name if v == 1 else f"~{name}"
            for name, v in zip(conditions, self.literals, strict=True)
            if v is not None
        ]
        return "*".join(parts) or "1"


def _sort_key(term: Term) -> tuple[tuple[int, int], ...]:
    # present before absent before eliminated, condition by condition
    return tuple((0, 0) if v == 1 else (0, 1) if v == 0 else (1, 0) for v in term.literals)


def prime_implicants(minterms: Iterable[int], width: int) -> list[Term]:
    """Quine–McCluskey: merge implicants that differ in one literal (same eliminated
    conditions, one 0 against a 1) until none merges; those never merged are the prime
    implicants. Each merge is found by a lookup, not by comparing every pair."""
    level: set[tuple[int | None, ...]] = {_configuration(m, width) for m in minterms}
    primes: set[tuple[int | None, ...]] = set()
    while level:
        merged: set[tuple[int | None, ...]] = set()
        used: set[tuple[int | None, ...]] = set()
        for a in level:
            for i, v in enumerate(a):
                if v == 0 and (b := (*a[:i], 1, *a[i + 1 :])) in level:
                    merged.add((*a[:i], None, *a[i + 1 :]))
                    used.update((a, b))
        primes |= level - used
        level = merged
    return sorted((Term(p) for p in primes), key=_sort_key)


@dataclass(frozen=True)
class TermFit:
    term: Term
    expression: str
    cases: tuple[str, ...]  # every case the term covers
    consistency: float | None
    raw_coverage: float | None
    unique_coverage: float | None


@dataclass(frozen=True)
class Solution:
    terms: tuple[Term, ...]
    expression: str
    fits: tuple[TermFit, ...]
    consistency: float | None
    coverage: float | None


@dataclass(frozen=True)
class Minimisation:
    """The result of :func:`minimise`: the chart, its essential implicants and the solutions."""

    kind: Literal["complex", "parsimonious"]
    conditions: tuple[str, ...]
    prime_implicants: tuple[Term, ...]
    chart: dict[Term, tuple[int, ...]]  # prime implicant → positive minterms it covers
    essential: tuple[Term, ...]
    solutions: tuple[Solution, ...]
    simplifying_assumptions: tuple[tuple[int, ...], ...]  # remainders the solutions use

    def chart_records(self) -> list[dict[str, object]]:
        """The prime implicant chart as records: one per implicant, a column per positive
        minterm (True where it covers it)."""
        minterms = sorted({m for covered in self.chart.values() for m in covered})
        return [
            {
                "implicant": term.expression(self.conditions),
                "essential": term in self.essential,
                **{str(m): m in self.chart[term] for m in minterms},
            }
            for term in self.prime_implicants
        ]


def minimise(table: TruthTable, *, remainders: bool = False) -> Minimisation:
    """Minimise the positive rows: the complex solution, or with ``remainders`` the
    parsimonious one (remainders as don't-cares). Refused when no row is positive."""
    positive = [r.minterm for r in table.positive_rows]
    if not positive:
        raise QCAError(
            f"no configuration reaches the consistency threshold {table.incl_cut:g} with at "
            f"least {table.n_cut} case(s) ({len(table.positive_cases)} of {len(table.data)} "
            "cases show the outcome): there is nothing to minimise"
        )
    width = len(table.conditions)
    free = [r.minterm for r in table.remainders] if remainders else []
    primes = prime_implicants([*positive, *free], width)
    chart = {p: tuple(m for m in positive if p.covers(_configuration(m, width))) for p in primes}
    chart = {p: covered for p, covered in chart.items() if covered}
    primes = [p for p in primes if p in chart]
    covers = _minimal_covers(chart, positive)
    owners = {m: [p for p in primes if m in chart[p]] for m in positive}
    essential = tuple(p for p in primes if any(owners[m] == [p] for m in chart[p]))
    solutions = tuple(_solution(table, tuple(sorted(cover, key=_sort_key))) for cover in covers)
    used = sorted(
        {
            _configuration(m, width)
            for m in free
            for s in solutions
            if any(t.covers(_configuration(m, width)) for t in s.terms)
        }
    )
    kind: Literal["complex", "parsimonious"] = "parsimonious" if remainders else "complex"
    return Minimisation(
        kind, table.conditions, tuple(primes), chart, essential, solutions, tuple(used)
    )


def _minimal_covers(
    chart: Mapping[Term, tuple[int, ...]], positive: Sequence[int]
) -> list[frozenset[Term]]:
    """Every cover of ``positive`` with the fewest prime implicants: the essential ones, then
    an exact branch-and-bound search over the others (branching on the uncovered minterm that
    the fewest implicants cover), keeping every cover of the minimal size."""
    owners = {m: [p for p, covered in chart.items() if m in covered] for m in positive}
    essential = frozenset(found[0] for found in owners.values() if len(found) == 1)
    rest = frozenset(positive) - {m for p in essential for m in chart[p]}
    if not rest:
        return [essential]
    bit = {m: 1 << i for i, m in enumerate(sorted(rest))}
    masks = {p: sum(bit[m] for m in chart[p] if m in rest) for p in chart if p not in essential}
    masks = {p: mask for p, mask in masks.items() if mask}
    candidates = sorted(masks, key=_sort_key)
    by_minterm = {b: [p for p in candidates if masks[p] & b] for b in bit.values()}
    largest = max(mask.bit_count() for mask in masks.values())
    best = len(masks)
    found: set[frozenset[Term]] = set()
    nodes = 0

    def search(uncovered: int, chosen: frozenset[Term], excluded: frozenset[Term]) -> None:
        # ``excluded``: implicants an earlier sibling branch already tried, so that each set
        # of implicants is reached once
        nonlocal best, nodes
        nodes += 1
        if nodes > MAX_COVERS:
            raise QCAError(
                f"the prime implicant chart is too large to list every minimal solution "
                f"({len(masks)} candidate implicants, over {MAX_COVERS} search steps): use "
                "fewer conditions"
            )
        if not uncovered:
            if len(chosen) < best:
                best = len(chosen)
                found.clear()
            if len(chosen) == best:
                found.add(chosen)
            return
        if len(chosen) + -(-uncovered.bit_count() // largest) > best:
            return
        options: list[Term] | None = None
        bits = uncovered
        while bits:  # the uncovered minterm with the fewest implicants left to cover it
            low = bits & -bits
            bits ^= low
            open_ = [p for p in by_minterm[low] if p not in excluded and p not in chosen]
            if not open_:
                return
            if options is None or len(open_) < len(options):
                options = open_
        tried: set[Term] = set()
        for p in options or []:
            search(uncovered & ~masks[p], chosen | {p}, excluded | tried)
            tried.add(p)

    search(sum(bit.values()), frozenset(), frozenset())
    return sorted(
        (essential | cover for cover in found),
        key=lambda cover: sorted(_sort_key(t) for t in cover),
    )


def _covered_cases(table: TruthTable, term: Term) -> set[str]:
    return {c for row in table.rows if row.n and term.covers(row.configuration) for c in row.cases}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _solution(table: TruthTable, terms: tuple[Term, ...]) -> Solution:
    outcome = set(table.positive_cases)
    covered = [_covered_cases(table, t) for t in terms]
    fits = []
    for i, term in enumerate(terms):
        others = set().union(*(covered[j] for j in range(len(terms)) if j != i))
        fits.append(
            TermFit(
                term=term,
                expression=term.expression(table.conditions),
                cases=tuple(sorted(covered[i])),
                consistency=_share(len(covered[i] & outcome), len(covered[i])),
                raw_coverage=_share(len(covered[i] & outcome), len(outcome)),
                unique_coverage=_share(len((covered[i] - others) & outcome), len(outcome)),
            )
        )
    union = set().union(*covered)
    return Solution(
        terms=terms,
        expression=" + ".join(f.expression for f in fits),
        fits=tuple(fits),
        consistency=_share(len(union & outcome), len(union)),
        coverage=_share(len(union & outcome), len(outcome)),
    )


# ---------------------------------------------------------------------------- descriptive


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval for a share ``successes / n`` (95% by default), for the plain
    descriptive comparison beside the QCA; (0, 1) when ``n`` is 0.

    >>> [round(x, 3) for x in wilson_interval(8, 10)]
    [0.49, 0.943]
    """
    if n < 0 or not 0 <= successes <= n:
        raise QCAError(f"{successes} successes out of {n}: not a share")
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))
