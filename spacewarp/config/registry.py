"""Registries of names: one per family (point generators, activations, weight
recipes, colourings). The same registry feeds the CLI choices, the app's menus
and the config validation, so a new entry appears everywhere at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from ..errors import SpacewarpError

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered mapping of name -> entry with helpful errors for unknown names."""

    def __init__(self, family: str, *, field: str | None = None,
                 error: type[SpacewarpError] = SpacewarpError) -> None:
        self.family = family
        self.field = field  # the config field that names an entry ("network.activation")
        self.error = error
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(entry: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.family} {name!r} is registered twice")
            self._entries[name] = entry
            return entry

        return add

    def add(self, name: str, entry: T) -> None:
        self.register(name)(entry)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise self.error(
                f"unknown {self.family} {name!r}; choose one of: {', '.join(self.names())}",
                field=self.field) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)
