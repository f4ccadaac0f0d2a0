"""Rebuilds the shipped default model: `python -m tasks.identity.default_model [--candidates N] [--seed S]`.

Generates feeds with the project's generator, ingests them into a scratch warehouse, trains the
Splink model there exactly as `candor resolve --train` does, and writes default_model.json with the
number of records it was trained on (resolve rescales the prior to each warehouse's size).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from tasks import PROJECT_ROOT
from tasks.identity.model import DEFAULT_MODEL_PATH
from tasks.identity.resolve import train_model
from tasks.ingest import ingest
from tasks.settings import Settings
from tasks.warehouse import writer


def build(candidates: int, seed: int, out: Path = DEFAULT_MODEL_PATH) -> int:
    """Reads nothing -> writes the default model JSON trained on generated data; returns records trained on."""
    from tasks.generate import generate

    work = Path(tempfile.mkdtemp(prefix="candor-model-"))
    try:
        shutil.copytree(PROJECT_ROOT / "data" / "config", work / "config")
        generate(work / "inbox", candidates, seed)
        settings = Settings(home=work)
        with writer(settings) as con:
            ingest(con, settings)
            version = train_model(con, settings)
            model, records = con.execute("select model_json, record_count from meta.identity_models where version = ?",
                                         [version]).fetchall()[0]
        out.write_text(json.dumps({"trained_on_records": records, "splink": json.loads(model)}, indent=1) + "\n")
        return records
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    print(f"default model trained on {build(args.candidates, args.seed):,} records -> {DEFAULT_MODEL_PATH}")
