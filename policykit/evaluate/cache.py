"""The response cache of a served run: one JSON line per answer, appended as it arrives.

Each line is keyed by what decides the answer: the case (its id and its messages), the
sample's number, the model and the decoding settings. A run reads the file first and
asks the server only for the keys it lacks, so a run that stopped (Ctrl-C, a crash, the
server going away) resumes where it was, and a key is never asked for, nor counted,
twice. A line cut off by a crash is the only one that can be damaged: it is dropped
(the file is truncated to its last complete line) and asked for again.

The lines also hold ``id`` and ``response``, so the file can be read back with
``--responses`` as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from policykit.evaluate.errors import EvalError

CACHE_NAME = "responses.cache.jsonl"


def cache_key(
    case_id: str,
    messages: tuple[tuple[str, str], ...],
    sample: int,
    model: str,
    decoding: Mapping[str, Any],
) -> str:
    payload = json.dumps(
        {
            "case": case_id,
            "messages": messages,
            "sample": sample,
            "model": model,
            "decoding": dict(decoding),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    """The cache file in the output folder; open it with ``with``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self._fh: IO[str] | None = None

    def __enter__(self) -> ResponseCache:
        self._load()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8", newline="\n")
        except OSError as exc:
            raise EvalError(f"{self.path}: cannot write the response cache: {exc}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None

    def _load(self) -> None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise EvalError(f"{self.path}: cannot read the response cache: {exc}") from exc
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            # the last line was being written when the run stopped
            with self.path.open("r+b") as fh:
                fh.truncate(complete)
        for number, line in enumerate(data[:complete].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise EvalError(
                    f"{self.path}:{number}: not a cache line ({exc}); delete the file to "
                    "ask the server again"
                ) from None
            key = record.get("key") if isinstance(record, dict) else None
            if not isinstance(key, str) or not isinstance(record.get("response"), str):
                raise EvalError(f"{self.path}:{number}: a cache line needs 'key' and 'response'")
            self.entries.setdefault(key, record)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def add(self, key: str, record: dict[str, Any]) -> None:
        """Append ``record`` under ``key`` and flush it to the file at once."""
        if key in self.entries:
            return
        assert self._fh is not None, "ResponseCache.add outside its with block"
        line = {"key": key, **record}
        self._fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
        self._fh.flush()
        self.entries[key] = line
