"""Acceptance tests for issue #14 (hardening), written black-box from the issue's text.

One module per section of the issue: outputs, cost, terminal, paths, query, spec
reading, positions, pipes. ``shapes`` builds the adversarial projects of the issue's
cost table; ``harness`` runs policykit as a child process under a wall-clock and
memory limit. Many of these fail until the issue is done; that is what they are for.

    .venv/bin/pytest -q tests/hostile
"""
