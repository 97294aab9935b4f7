"""Plugins: explicit built-ins first, then third parties' entry points.

Exporters (``policykit.exporters``) and evaluator backends (``policykit.backends``) are
found the same way, so a plugin can never shadow a built-in and every lookup error
reads alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from policykit.util.text import suggest


def plugin_names(builtin: Mapping[str, object], group: str) -> list[str]:
    """Built-in names in their order, then plugins' names sorted."""
    plugins = sorted({ep.name for ep in entry_points(group=group)} - set(builtin))
    return [*builtin, *plugins]


def find_plugin(
    name: str,
    builtin: Mapping[str, object],
    group: str,
    *,
    kind: str,
    plural: str,
    valid: Callable[[object], bool],
    invalid: str,
    error: Callable[[str], Exception],
) -> object:
    """The built-in or plugin called ``name``; ``error(message)`` is raised when it is
    unknown, fails to load, or is not ``valid`` (``invalid`` says what it lacks)."""
    if name in builtin:
        return builtin[name]
    for ep in entry_points(group=group):
        if ep.name == name:
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken plugin is the user's to see, in one line
                raise error(f"{kind} {name!r} ({ep.value}) failed to load: {exc}") from exc
            if not valid(loaded):
                raise error(f"{kind} {name!r} ({ep.value}) {invalid}")
            return loaded
    known = plugin_names(builtin, group)
    hint = suggest(name, known)
    hint = f" ({hint})" if hint else ""
    raise error(f"unknown {kind} {name!r}{hint}; the {plural} are {', '.join(known)}")
