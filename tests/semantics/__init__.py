"""Acceptance tests for issue #12 (named principals, a shaped context space, extensible
catalogs, exact permission semantics), written from the issue and DESIGN.md alone.

- ``gen``: random small projects with named principals; ``reference``: a slow,
  context-by-context reference resolver that says "unsure" rather than guess.
- ``test_properties``: order-independence, validate/compile agreement, PK412 means no
  effect, non-escalation, agreement with the reference.
- ``test_audit``: one regression test per point of the issue's audit.
- ``test_principals``, ``test_context``: the issue's K-12 tutor.
"""
