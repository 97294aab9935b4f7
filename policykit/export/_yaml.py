"""YAML output for exporters: safe, deterministic and without anchors."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        # A shared list would come out as &id001 / *id001: valid, but every reader
        # would then see one case's data through another's reference.
        return True


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Multi-line text as a literal block, for a human reading the file; the emitter
    # falls back to a quoted scalar whenever a block cannot hold the text exactly.
    # NEL, LS and PS are line breaks to a YAML 1.1 reader and text to a 1.2 one, so
    # written raw they come back as a space from one of them: double quotes escape them
    # (\N, \L, \P), which every reader takes back exactly.
    if _BREAKS_OF_ONE_VERSION.intersection(data):
        style: str | None = '"'
    else:
        style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BREAKS_OF_ONE_VERSION = frozenset("\x85\u2028\u2029")


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """``data`` as YAML: safe types only (every string a plain or quoted scalar, never a
    tag), keys in the order given, Unicode kept, and no line folding."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=2**30,
        default_flow_style=False,
    )
