"""Pure deep merge of settings layers, most specific last, remembering where each value came
from. Policies and notification settings both inherit this way.

Resolution order (DESIGN §5.4), written down because it is the contract:
company → branch → service → staff. A key a layer leaves out is inherited from the layers
before it; a key it sets (even to null) replaces the inherited value. Nested objects are
merged key by key; lists (fee tiers) are replaced whole, because a tier table is one
decision and splicing two tables would produce a schedule nobody configured.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

LEVEL_ORDER = ("company", "branch", "service", "staff")

# Whatever a caller uses to say where a layer came from (a policy's level, entity and id).
Source = TypeVar("Source")


@dataclass(frozen=True)
class Layer(Generic[Source]):
    source: Source
    config: Mapping[str, Any]


@dataclass(frozen=True)
class Merged(Generic[Source]):
    config: dict[str, Any]
    # Dotted key path -> the layer that set it; nested objects list their leaves.
    sources: dict[str, Source]


def merge_layers(layers: Sequence[Layer[Source]]) -> Merged[Source]:
    """Merge `layers` in the order given (callers pass company first, staff last)."""
    config: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for layer in layers:
        _merge_into(config, sources, layer.config, layer.source, prefix="")
    return Merged(config, sources)


def _merge_into(
    target: dict[str, Any],
    sources: dict[str, Source],
    incoming: Mapping[str, Any],
    source: Source,
    prefix: str,
) -> None:
    for key, value in incoming.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            if value:
                sources.pop(path, None)  # an empty object being filled in is no leaf any more
            _merge_into(target[key], sources, value, source, prefix=f"{path}.")
            continue
        _forget(sources, path)
        target[key] = copy.deepcopy(value)
        if isinstance(value, Mapping) and value:
            _record_leaves(sources, value, source, prefix=f"{path}.")
        else:
            sources[path] = source


def _forget(sources: dict[str, Source], path: str) -> None:
    """Drop the sources of a value being replaced, including those of its nested keys."""
    sources.pop(path, None)
    for key in [k for k in sources if k.startswith(f"{path}.")]:
        del sources[key]


def _record_leaves(
    sources: dict[str, Source], value: Mapping[str, Any], source: Source, prefix: str
) -> None:
    for key, nested in value.items():
        if isinstance(nested, Mapping) and nested:
            _record_leaves(sources, nested, source, prefix=f"{prefix}{key}.")
        else:
            sources[f"{prefix}{key}"] = source
