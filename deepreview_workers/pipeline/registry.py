"""A small registry per plugin kind: register by decorator, create by name.

detectors = Registry("detector")

@detectors.register("mtcnn", params=MtcnnParams)
class MtcnnDetector: ...

detector = detectors.create("mtcnn", device="cpu", min_face_size=40)

A plugin's parameters are declared as its options are (a frozen dataclass whose
fields carry :func:`~deepreview_workers.pipeline.options.spec.option` metadata), in a
module free of torch, so ``create`` checks them (an error names the field) and forms
and the CLI can list them with :meth:`Registry.params_spec`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, Generic, TypeVar

from deepreview_workers.pipeline.options.spec import OptionField, check_params, option_spec

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}
        self._params: dict[str, type] = {}

    def register(
        self, name: str, *, params: type | None = None
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def add(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = factory
            if params is not None:
                self._params[name] = params
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

    def params(self, name: str) -> type | None:
        """The dataclass declaring ``name``'s parameters (None: it takes none)."""
        self.get(name)
        return self._params.get(name)

    def params_spec(self, name: str) -> list[OptionField]:
        """``name``'s parameters as forms and clients see options (exposed ones)."""
        declared = self.params(name)
        return option_spec(declared) if declared is not None else []

    def create(self, name: str, **params: Any) -> T:
        factory = self.get(name)
        declared = self._params.get(name)
        if declared is not None:  # every parameter, checked, defaults filled in
            checked = check_params(declared, params, what=f"{self.kind} '{name}'")
            built = declared(**checked)
            params = {f.name: getattr(built, f.name) for f in fields(built)}
        return factory(**params)
