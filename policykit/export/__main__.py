"""``python -m policykit.export [DIR]``: regenerate the committed cases.schema.json."""

from __future__ import annotations

import sys

from policykit.export.cases import write_cases_schema

if __name__ == "__main__":
    write_cases_schema(sys.argv[1] if len(sys.argv) > 1 else "policykit/schemas")
