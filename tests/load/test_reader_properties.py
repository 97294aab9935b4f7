"""Whatever text or bytes a file holds, the reader answers with a Document or with its
own diagnostics, never with another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykit.codes import CODES
from policykit.diagnostics import PolicykitError
from policykit.load import reader
from policykit.load.reader import Document, Limits, parse, read_file

pytestmark = pytest.mark.usefixtures("builder")

# Small caps, so that the nesting and alias checks are reached by short inputs too.
LIMITS = Limits(max_bytes=4096, max_depth=6, max_aliases=4, max_alias_nodes=40)

# Pieces of YAML syntax, so that generated text gets past the first character.
PIECES = st.sampled_from(
    [
        *"-:[]{},&*!|>'\"#%@`?~ \n\t\r.0123456789abenoxyT_\\=<+",
        "\ufeff",
        "\x00",
        "\x85",
        "\u2028",
        "é",
        "---",
        "...",
        "!!python/",
        "&a ",
        "*a",
        "0x",
        "2024-02-30",
        ".inf",
        "\n  ",
        "\n- ",
        "key: ",
    ]
)
YAMLISH = st.lists(PIECES, max_size=40).map("".join)
TEXT = st.one_of(YAMLISH, st.text(max_size=200))
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str) -> None:
    try:
        doc = parse(text, "f.yaml", LIMITS)
    except PolicykitError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.code in CODES
            assert d.file == "f.yaml"
            assert d.line >= 0 and d.column >= 0
    else:
        assert isinstance(doc, Document)
        assert isinstance(doc.data, reader.YMap)


@FAST
@given(TEXT)
def test_parse_raises_only_diagnostics(text: str) -> None:
    check(text)


@FAST
@given(TEXT)
def test_pure_python_parse_raises_only_diagnostics(text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reader, "_FastLoader", yaml.SafeLoader)
        mp.setattr(reader, "_fastyaml", None)
        check(text)


@FAST
@given(st.one_of(st.binary(max_size=300), YAMLISH.map(lambda t: t.encode("utf-8"))))
def test_read_file_raises_only_diagnostics(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.yaml"
        path.write_bytes(raw)
        try:
            doc = read_file(path, "f.yaml", LIMITS)
        except PolicykitError as exc:
            assert all(d.code in CODES and d.file == "f.yaml" for d in exc.diagnostics)
        else:
            assert isinstance(doc.data, reader.YMap)
