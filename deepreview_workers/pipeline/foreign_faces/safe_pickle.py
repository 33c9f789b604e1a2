"""Reading the pickles faceswap (``.fsa``) and DeepFaceLab (APP15, ``fcWp``) embed,
without running them.

A pickle is a program: ``pickle.loads`` on a file from outside may call any importable
function (``os.system`` through a REDUCE opcode). ``safe_loads`` unpickles with an
allow-list: plain containers and scalars need no globals at all, and the only globals
found are the few numpy needs to rebuild arrays (from a state or a bytes buffer), dtypes
and scalars (and ``_codecs.encode``, which protocol-2 pickles use for bytes). Anything
else is refused before it is looked up, so nothing it names is imported or called.
"""

from __future__ import annotations

import _compat_pickle
import io
import pickle
import zlib
from typing import Any

import numpy as np

# (module, name) -> the object; numpy 2 moved numpy.core to numpy._core, and pickles made
# by either name the module they were made with.
_NUMPY_CORE = getattr(np, "_core", None) or np.core
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _NUMPY_CORE.multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _NUMPY_CORE.multiarray._reconstruct,
    # protocol 5 pickles rebuild arrays from a bytes buffer with this one
    ("numpy.core.numeric", "_frombuffer"): _NUMPY_CORE.numeric._frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _NUMPY_CORE.numeric._frombuffer,
    ("numpy.core.multiarray", "scalar"): _NUMPY_CORE.multiarray.scalar,
    ("numpy._core.multiarray", "scalar"): _NUMPY_CORE.multiarray.scalar,
    ("_codecs", "encode"): __import__("codecs").encode,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("collections", "OrderedDict"): dict,
}

MAX_PICKLE_BYTES = 64 * 1024 * 1024  # a large faceswap .fsa is a few MiB; 64 MiB is hostile


class UnsafePickle(ValueError):
    """The pickle names something outside the allow-list, or is malformed or too big."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Protocol 0-2 pickles name Python 2 modules (__builtin__.set); map them as
        # pickle's own find_class does, then check the Python 3 name.
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = _ALLOWED.get((module, name))
        if found is None:
            raise UnsafePickle(
                f"refused to unpickle {module}.{name}: only plain data and numpy arrays "
                "are read from foreign metadata"
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickle("refused a pickle with persistent ids")


def safe_loads(data: bytes, *, max_bytes: int = MAX_PICKLE_BYTES) -> Any:
    """Unpickle ``data`` with the allow-list; ``UnsafePickle`` says why it was refused."""
    if len(data) > max_bytes:
        raise UnsafePickle(f"pickle of {len(data)} bytes is over the {max_bytes} byte limit")
    try:
        value = _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickle:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise UnsafePickle(f"not a readable pickle: {exc}") from None
    except (RecursionError, MemoryError):
        raise UnsafePickle("pickle nests too deeply or is too big to read") from None
    if _holds_object_arrays(value):
        raise UnsafePickle("refused an object-dtype numpy array")
    return value


def _holds_object_arrays(value: Any, depth: int = 0) -> bool:
    if depth > 50:
        return True  # nothing either tool writes is this deep
    if isinstance(value, np.ndarray):
        return value.dtype.hasobject
    if isinstance(value, dict):
        return any(_holds_object_arrays(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_object_arrays(v, depth + 1) for v in value)
    return False


def bounded_decompress(data: bytes, *, max_bytes: int = MAX_PICKLE_BYTES) -> bytes:
    """``zlib.decompress`` that stops at ``max_bytes`` of output (a decompression bomb is
    refused, not expanded); ``UnsafePickle`` when over or not zlib data."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, max_bytes)
    except zlib.error as exc:
        raise UnsafePickle(f"not zlib-compressed data: {exc}") from None
    if inflater.unconsumed_tail:
        raise UnsafePickle(f"decompresses to more than {max_bytes} bytes; refused")
    return out
