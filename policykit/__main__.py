from __future__ import annotations

import sys

from policykit.cli import main

if __name__ == "__main__":
    sys.exit(main())
