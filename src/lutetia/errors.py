"""Lutetia's error hierarchy.

Every class also inherits the matching builtin (the pint pattern:
``DimensionalityError(TypeError)``), so callers can catch either.  Messages name the
record, field, value and what is accepted.  "Cannot decide" is a *result* of the decision
engine, never an exception.
"""

from __future__ import annotations


class LutetiaError(Exception):
    """Base class of every error Lutetia raises on purpose."""


class UnitError(LutetiaError, TypeError):
    """A quantity has the wrong dimension or an unknown unit."""


class RecordError(LutetiaError, ValueError):
    """A clinical record is impossible or incomplete (names record, field, value)."""

    def __init__(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        value: object = None,
        accepted: str | None = None,
    ) -> None:
        self.record = record
        self.field = field
        self.value = value
        self.accepted = accepted
        parts = [message]
        if record is not None:
            parts.insert(0, f"{record}:")
        if field is not None:
            parts.append(f"(field {field!r}, value {value!r}")
            parts[-1] += f"; accepted: {accepted})" if accepted else ")"
        super().__init__(" ".join(parts))


class ProtocolError(LutetiaError, ValueError):
    """A protocol or criteria data file is invalid."""


class ConvergenceError(LutetiaError, RuntimeError):
    """A numerical fit or solver did not converge."""


class StoreError(LutetiaError, RuntimeError):
    """A storage operation failed."""


class ConflictError(StoreError):
    """An optimistic-concurrency check failed: the record changed since it was read."""


class NotFoundError(StoreError, LookupError):
    """A requested record does not exist in the store."""


class UsageError(LutetiaError, ValueError):
    """A command-line argument is malformed (names the option, value and what is accepted)."""


class AnalysisError(LutetiaError, ValueError):
    """An analysis or report cannot be made from these data (e.g. no treated patient)."""


class OutputError(LutetiaError, OSError):
    """An output path cannot be written (checked before any computation)."""


class TableProblem(LutetiaError, ValueError):
    """An input table (CSV) was refused; ``problems`` lists every problem (file, row, field,
    value, what is accepted) and nothing was computed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was computed\n" + "\n".join(problems))


class ImportProblem(LutetiaError, ValueError):
    """An import was rejected; ``problems`` lists every problem found (nothing was written)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = f"{len(problems)} problem(s); nothing was imported"
        super().__init__(head + "\n" + "\n".join(problems))
