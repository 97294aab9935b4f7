"""Reading the files that exporters copy verbatim into their output."""

from __future__ import annotations

from importlib.resources import files


def runtime_file(name: str) -> str:
    """The text of ``policykit/export/runtime/<name>``, newlines normalized."""
    text = files("policykit.export").joinpath("runtime", name).read_text(encoding="utf-8")
    return text.replace("\r\n", "\n")
