"""A small registry per plugin kind: register by decorator, create by name.

detectors = Registry("detector")

@detectors.register("mtcnn")
class MtcnnDetector: ...

detector = detectors.create("mtcnn", device="cpu", min_face_size=40)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def add(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = factory
            return factory

        return add

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> Callable[..., T]:
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(
                f"Unknown {self.kind} '{name}'; choose one of: {', '.join(self.names())}"
            ) from None

    def create(self, name: str, **params: Any) -> T:
        return self.get(name)(**params)
