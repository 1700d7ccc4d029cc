"""What the store does to typed literals, and what the engines check of them.

pyoxigraph (0.5) stores a literal of any type derived from xsd:integer (xsd:nonNegativeInteger,
xsd:positiveInteger, xsd:int...) as an xsd:integer: ``"46"^^xsd:nonNegativeInteger`` reads back
as ``"46"^^xsd:integer``. A validation over the store cannot tell them apart, so both engines
take an xsd:integer whose value lies in a derived type's range as a value of that type.
"""

from __future__ import annotations

from essaim.namespaces import XSD

#: Value ranges of xsd:integer and the types derived from it (None: unbounded).
INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    XSD + "integer": (None, None),
    XSD + "nonNegativeInteger": (0, None),
    XSD + "positiveInteger": (1, None),
    XSD + "nonPositiveInteger": (None, 0),
    XSD + "negativeInteger": (None, -1),
    XSD + "long": (-(2**63), 2**63 - 1),
    XSD + "int": (-(2**31), 2**31 - 1),
    XSD + "short": (-(2**15), 2**15 - 1),
    XSD + "byte": (-(2**7), 2**7 - 1),
    XSD + "unsignedLong": (0, 2**64 - 1),
    XSD + "unsignedInt": (0, 2**32 - 1),
    XSD + "unsignedShort": (0, 2**16 - 1),
    XSD + "unsignedByte": (0, 2**8 - 1),
}

#: Lexical forms (XSD 1.1) of the other types whose literals ``sh:datatype`` checks by pattern.
LEXICAL_FORMS: dict[str, str] = {
    XSD + "decimal": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$",
    XSD + "float": r"^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)$",
    XSD + "double": r"^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN)$",
    XSD + "boolean": r"^(true|false|1|0)$",
}

#: Types whose literals ``sh:datatype`` checks by casting the text (SPARQL's own parser).
CAST_CHECKED = (XSD + "dateTime", XSD + "date", XSD + "time")


def in_integer_range(lexical: str, datatype: str) -> bool:
    """Is ``lexical`` an integer within the range of ``datatype`` (an integer type)?

    >>> in_integer_range("46", XSD + "nonNegativeInteger")
    True
    >>> in_integer_range("0", XSD + "positiveInteger")
    False
    """
    low, high = INTEGER_RANGES[datatype]
    try:
        value = int(lexical.strip())
    except ValueError:
        return False
    return (low is None or value >= low) and (high is None or value <= high)
