"""The errors the validation layer raises."""

from __future__ import annotations


class ValidationError(Exception):
    """Validation could not run; the message says why, in one sentence."""


class ShapesError(ValidationError):
    """The shapes graph cannot be read, or a shape in it is malformed."""


class UnsupportedShapeFeature(ShapesError):
    """The shapes use a SHACL feature that the SPARQL engine does not compile.

    Raised when the shapes are compiled, never during a validation: the engine refuses the
    whole shapes graph rather than skip a constraint silently.
    """


class UnknownEngine(ValidationError):
    """No validation engine of that name."""
