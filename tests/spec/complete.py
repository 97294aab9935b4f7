"""A spec-shaped dict made a complete ``policykit.spec/v1`` document: what the reader
validates. Tests write only what a case is about; the rest is filled in here."""

from __future__ import annotations

import copy
from typing import Any

from policykit.spec.artifact import SPEC_VERSION


def complete_spec(partial: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(partial)
    data.setdefault("apiVersion", SPEC_VERSION)
    for key, value in (
        ("policykit_version", "0"),
        ("inputs_hash", "sha256:0"),
        ("project", "test"),
        ("description", ""),
        ("deployment", {}),
        ("strategy", "weighted_linear"),
        ("stakeholders", {}),
        ("rules", []),
        ("dimensions", []),
        ("behaviors", []),
    ):
        data.setdefault(key, value)
    for d in data["dimensions"]:
        d.setdefault("labels", {})
        d.setdefault("description", "")
    for b in data["behaviors"]:
        b.setdefault("description", "")
        b.setdefault("property", "helpful")
        b.setdefault("probes", [])
        for o in b["outcomes"].values():
            o.setdefault("description", "")
            o.setdefault("exemplars", [])
        b.setdefault("default", {o: 1.0 / len(b["outcomes"]) for o in b["outcomes"]})
        for cell in b["cells"]:
            cell.setdefault("when", {})
            cell.setdefault("bounds", {o: {"min": 0.0, "max": 1.0} for o in b["outcomes"]})
            cell.setdefault("weight", 1.0)
            for key in ("applied", "winners", "overridden", "adjusted", "dropped"):
                cell.setdefault(key, [])
            cell.setdefault("stakeholders", {})
    return data
