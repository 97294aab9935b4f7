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
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


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
