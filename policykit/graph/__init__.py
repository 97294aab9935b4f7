"""The graph stage: the context space and scopes (``scope``), the weighted objective
graph over networkx (``objective``), who may adjust whose rule (``permissions``), the
arithmetic the analysis and the resolver share (``numbers``) and the graph's DOT,
Mermaid and JSON renderings (``formats``).

Nothing is re-exported here, so that importing one module (the query path needs only
``scope``'s neighbours) does not import them all."""
