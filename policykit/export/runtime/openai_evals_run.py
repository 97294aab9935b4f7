"""Create the exported evals and their runs on the OpenAI Evals API.

    python run.py MODEL [--grader MODEL]

This file is the same for every export: for each ``evals/*.json`` it creates the eval
(``client.evals.create``), then a run of MODEL on its items from ``runs/*.json``
(``client.evals.runs.create``), and prints each run's id and report URL. The key comes
from ``OPENAI_API_KEY``, as the official client reads it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from openai import OpenAI

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="the model under evaluation")
    parser.add_argument("--grader", help="the label grader's model (default: as exported)")
    args = parser.parse_args()
    client = OpenAI()
    for eval_file in sorted((HERE / "evals").glob("*.json")):
        body = json.loads(eval_file.read_text(encoding="utf-8"))
        if args.grader:
            for criterion in body["testing_criteria"]:
                criterion["model"] = args.grader
        created = client.evals.create(**body)
        run = json.loads((HERE / "runs" / eval_file.name).read_text(encoding="utf-8"))
        run["data_source"]["model"] = args.model
        started = client.evals.runs.create(created.id, **run)
        print(f"{eval_file.stem}: eval {created.id} run {started.id} {started.report_url}")


if __name__ == "__main__":
    main()
