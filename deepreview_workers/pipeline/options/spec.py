"""Options declared once: a frozen dataclass per job whose field metadata says each
option's range, choices, label and help.

Everything else is derived from that one declaration:

- the web validates a request by building the dataclass (:func:`build_options`), and
  an error names the field;
- the forms render from :func:`option_spec` and the OpenAPI schema from
  :func:`options_json_schema`;
- jobs, the CLI and the benches construct the dataclass directly.

Fields declared with ``exposed=False`` are set by the job or the CLI (a segment's
first frame, a display name): the API neither shows nor accepts them.

This module imports neither Django nor torch: the web host validates with it.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any, Literal, TypedDict, TypeVar

T = TypeVar("T")
OptionKind = Literal["bool", "int", "float", "numbers", "choice", "choices", "text"]
_META = "option"


class OptionError(ValueError):
    """A bad option value; ``field_errors`` maps each bad option to a short reason."""

    def __init__(self, message: str, field_errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = dict(field_errors or {})


@dataclass(frozen=True)
class OptionMeta:
    label: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] | None = None
    advanced: bool = False  # shown under "More options" in the forms
    exposed: bool = True  # False: set by the job or the CLI, not by an API client
    shown_when: tuple[str, str] | None = None  # (other option, value) that makes it relevant


class OptionField(TypedDict):
    """One option as the forms and API clients see it."""

    name: str
    kind: OptionKind
    label: str
    help: str
    default: Any
    nullable: bool
    min: float | None
    max: float | None
    step: float | None
    choices: list[str] | None
    advanced: bool
    shown_when: dict[str, str] | None


def option(
    default: Any = MISSING,
    *,
    label: str = "",
    help: str = "",  # noqa: A002 - the name forms and schemas use
    low: float | None = None,
    high: float | None = None,
    step: float | None = None,
    choices: Sequence[str] | None = None,
    advanced: bool = False,
    exposed: bool = True,
    shown_when: tuple[str, str] | None = None,
    default_factory: Any = MISSING,
) -> Any:
    """A dataclass field carrying its option metadata (use it as the field's default).

    A ``tuple[float, ...]`` (or fixed-length ``tuple[float, float, float]``) without
    ``choices`` is a list of numbers, each within ``low``..``high``."""
    meta = OptionMeta(
        label=label,
        help=help,
        low=low,
        high=high,
        step=step,
        choices=tuple(choices) if choices is not None else None,
        advanced=advanced,
        exposed=exposed,
        shown_when=shown_when,
    )
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata={_META: meta}
    )


# -- reading the declaration -------------------------------------------------------------


@dataclass(frozen=True)
class _Declared:
    name: str
    kind: OptionKind
    nullable: bool
    meta: OptionMeta
    default: Any
    length: int | None = None  # "numbers" of a fixed count (``tuple[float, float]``)


def _length(annotation: Any) -> int | None:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and typing.get_origin(args[0]) is tuple:  # ``tuple[...] | None``
        args = list(typing.get_args(args[0]))
    return None if Ellipsis in args or not args else len(args)


def _kind(annotation: Any, meta: OptionMeta) -> tuple[OptionKind, bool]:
    args = typing.get_args(annotation)
    nullable = False
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        nullable = type(None) in args
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else annotation
    if annotation is bool:
        return "bool", nullable
    if annotation is int:
        return "int", nullable
    if annotation is float:
        return "float", nullable
    if annotation is str:
        return ("choice" if meta.choices else "text"), nullable
    if typing.get_origin(annotation) is tuple and meta.choices:
        return "choices", nullable
    if typing.get_origin(annotation) is tuple and set(typing.get_args(annotation)) <= {
        float,
        Ellipsis,
    }:
        return "numbers", nullable
    raise TypeError(f"an option cannot be of type {annotation!r}")


def _declared(cls: type, *, exposed_only: bool = True) -> list[_Declared]:
    if not is_dataclass(cls):
        raise TypeError(f"{cls!r} is not an options dataclass")
    hints = typing.get_type_hints(cls)
    out = []
    for f in fields(cls):
        meta = f.metadata.get(_META)
        if meta is None or (exposed_only and not meta.exposed):
            continue
        kind, nullable = _kind(hints[f.name], meta)
        default = f.default if f.default is not MISSING else f.default_factory()
        length = _length(hints[f.name]) if kind == "numbers" else None
        out.append(_Declared(f.name, kind, nullable, meta, default, length))
    return out


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def option_spec(cls: type) -> list[OptionField]:
    """The exposed options of ``cls`` in declaration order, for forms and clients."""
    return [
        OptionField(
            name=d.name,
            kind=d.kind,
            label=d.meta.label or d.name.replace("_", " ").capitalize(),
            help=d.meta.help,
            default=_json_value(d.default),
            nullable=d.nullable,
            min=d.meta.low,
            max=d.meta.high,
            step=d.meta.step if d.meta.step is not None else (1 if d.kind == "int" else None),
            choices=list(d.meta.choices) if d.meta.choices else None,
            advanced=d.meta.advanced,
            shown_when=dict([d.meta.shown_when]) if d.meta.shown_when else None,
        )
        for d in _declared(cls)
    ]


def options_json_schema(cls: type) -> dict[str, Any]:
    """A JSON Schema of the options object (every property optional: defaults apply)."""
    properties: dict[str, Any] = {}
    for d in _declared(cls):
        schema: dict[str, Any]
        if d.kind == "choices":
            schema = {"type": "array", "items": {"type": "string", "enum": list(d.meta.choices)}}
        elif d.kind == "numbers":
            item: dict[str, Any] = {"type": "number"}
            if d.meta.low is not None:
                item["minimum"] = d.meta.low
            if d.meta.high is not None:
                item["maximum"] = d.meta.high
            schema = {"type": "array", "items": item}
            if d.length is not None:
                schema["minItems"] = schema["maxItems"] = d.length
        else:
            json_type = {
                "bool": "boolean",
                "int": "integer",
                "float": "number",
                "choice": "string",
                "text": "string",
            }[d.kind]
            schema = {"type": json_type}
            if d.meta.choices and d.kind == "choice":
                schema["enum"] = list(d.meta.choices)
            if d.meta.low is not None:
                schema["minimum"] = d.meta.low
            if d.meta.high is not None:
                schema["maximum"] = d.meta.high
        if d.nullable:
            schema["nullable"] = True
        schema["default"] = _json_value(d.default)
        description = d.meta.label or d.name
        schema["description"] = (
            f"{description}. {d.meta.help}".strip() if d.meta.help else description
        )
        properties[d.name] = schema
    return {"type": "object", "properties": properties, "additionalProperties": False}


# -- building from a request -------------------------------------------------------------


def _number(x: float) -> str:
    return f"{x:g}"


def _checked_number(name: str, meta: OptionMeta, value: Any, *, whole: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"{name} must be a number.", {name: "A number."})
    if whole:
        if value != int(value):
            raise OptionError(f"{name} must be a whole number.", {name: "A whole number."})
        value = int(value)
    else:
        value = float(value)
    low = meta.low if meta.low is not None else -math.inf
    high = meta.high if meta.high is not None else math.inf
    if not low <= value <= high:
        span = f"from {_number(low)} to {_number(high)}"
        raise OptionError(
            f"{name} must be a number {span}.",
            {name: f"Between {_number(low)} and {_number(high)}."},
        )
    return value


def _check(d: _Declared, value: Any) -> Any:
    """The value as the dataclass wants it, or ``OptionError`` naming the field."""
    name, meta = d.name, d.meta
    if value is None and d.nullable:
        return None
    if d.kind == "bool":
        if not isinstance(value, bool):
            raise OptionError(f"{name} must be true or false.", {name: "Boolean."})
        return value
    if d.kind in ("int", "float"):
        return _checked_number(name, meta, value, whole=d.kind == "int")
    if d.kind == "numbers":
        count = f"{d.length} numbers" if d.length else "a list of numbers"
        if not isinstance(value, list | tuple) or (d.length and len(value) != d.length):
            raise OptionError(f"{name} must be {count}.", {name: f"{count.capitalize()}."})
        return tuple(_checked_number(name, meta, v, whole=False) for v in value)
    if d.kind == "choices":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise OptionError(f"{name} must be a list of names.", {name: "A list of names."})
        wrong = [v for v in value if v not in (meta.choices or ())]
        if wrong:
            raise OptionError(
                f"{name}: unknown {', '.join(wrong)}; choose from {', '.join(meta.choices or ())}.",
                {name: "Unknown name."},
            )
        return tuple(value)
    if not isinstance(value, str):
        raise OptionError(f"{name} must be text.", {name: "Text."})
    if d.kind == "choice" and value not in (meta.choices or ()):
        raise OptionError(
            f"{name} must be one of: {', '.join(meta.choices or ())}.", {name: "Invalid choice."}
        )
    return value


def check_options(cls: type, raw: Any, *, what: str) -> dict[str, Any]:
    """The values ``raw`` gives, checked against the exposed options of ``cls``.

    Unknown names, wrong types, out-of-range numbers and unknown choices raise
    ``OptionError`` naming the field; the rules across fields (the dataclass's own
    ``__post_init__``) are checked by building it with these values.
    """
    if not isinstance(raw, Mapping):
        raise OptionError("The options must be a JSON object.")
    return _checked(cls, raw, {d.name: d for d in _declared(cls)}, what=f"{what} option(s)")


def check_params(cls: type, raw: Mapping[str, Any], *, what: str) -> dict[str, Any]:
    """A plugin's parameters checked against its params dataclass ``cls``: every field
    declared with :func:`option` (exposed or not) is checked like a job option; plain
    fields (a torch device, say) pass as given."""
    declared = {d.name: d for d in _declared(cls, exposed_only=False)}
    plain = {f.name for f in fields(cls)} - set(declared)  # type: ignore[arg-type]
    checked = _checked(
        cls, {k: v for k, v in raw.items() if k not in plain}, declared, what=f"{what} parameter(s)"
    )
    return {**{k: v for k, v in raw.items() if k in plain}, **checked}


def _checked(
    cls: type, raw: Mapping[str, Any], declared: Mapping[str, _Declared], *, what: str
) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        raise OptionError(
            f"Unknown {what}: {', '.join(unknown)}.",
            {name: "Unknown option." for name in unknown},
        )
    values = {name: _check(declared[name], value) for name, value in raw.items()}
    build_options(cls, values)
    return values


def option_from(cls: type, name: str, **changes: Any) -> Any:
    """A field declared as ``cls``'s option ``name`` (its default, range and help),
    with ``changes`` (a narrower range, ``advanced``): a job option that passes
    through to a plugin parameter is declared once, by the plugin."""
    source = {f.name: f for f in fields(cls)}[name]  # type: ignore[arg-type]
    meta = dataclasses.replace(source.metadata[_META], **changes)
    return dataclasses.field(
        default=source.default, default_factory=source.default_factory, metadata={_META: meta}
    )


def build_options(cls: type[T], values: Mapping[str, Any]) -> T:
    """``cls(**values)``, with a rule the dataclass enforces reported as ``OptionError``."""
    try:
        return cls(**values)
    except OptionError:
        raise
    except (ValueError, TypeError) as exc:
        raise OptionError(str(exc)) from None


def options_from_mapping(
    cls: type[T], data: Mapping[str, Any], *, strict: bool = False, what: str = ""
) -> T:
    """The options in ``data`` (job params, a stored record), exposed or not.

    Keys that are not options of ``cls`` are ignored (a job's other params, a newer
    version's options) unless ``strict`` (then ``what`` names the options in the error);
    lists become the tuples the dataclass holds.
    """
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if strict and unknown:
        raise OptionError(
            " ".join(["Unknown", *([what] if what else []), f"options: {', '.join(unknown)}"]),
            {n: "Unknown option." for n in unknown},
        )
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
    return build_options(cls, values)


def options_values(instance: Any) -> dict[str, Any]:
    """The exposed options of an options dataclass, as JSON values."""
    return {d.name: _json_value(getattr(instance, d.name)) for d in _declared(type(instance))}
