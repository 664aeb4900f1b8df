"""Read models built from a model row: the fields a dataclass shares with it by name."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def from_model(cls: type[T], row: Any, **values: Any) -> T:
    """``cls`` (a dataclass) with ``values``, and its other fields read from ``row``'s
    attributes of the same name."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: values[name] if name in values else getattr(row, name) for name in names})
