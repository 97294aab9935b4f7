"""``python -m policykit.evaluate``: regenerate the committed results JSON Schema."""

from __future__ import annotations

from pathlib import Path

from policykit.evaluate.results import schema_text
from policykit.util.output import write_atomic

TARGET = Path(__file__).resolve().parents[1] / "schemas" / "results.schema.json"

if __name__ == "__main__":
    write_atomic(TARGET, schema_text())
    print(f"wrote {TARGET}")
