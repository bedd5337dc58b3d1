"""CLI: ``python -m alpr.synth OUT --n 500 --seed 1 [--options synth.yaml] [--overwrite]``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from pydantic import BaseModel

from alpr.config_loader import load_yaml_model
from alpr.synth import SynthOptions, generate_dataset


def run_cli(argv: list[str] | None, prog: str, description: str, options_model: type[BaseModel],
            generate: Callable, default_n: int, noun: str) -> None:
    """The command line of a renderer (this generator, the foreign one): OUT, --n, --seed,
    --options (a YAML file of ``options_model``), --overwrite."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("out", help="output folder: local path or fsspec URL (gs://...)")
    parser.add_argument("--n", type=int, default=default_n, help=f"number of {noun} (default {default_n})")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--options", help=f"YAML file with options ({options_model.__name__})")
    parser.add_argument("--overwrite", action="store_true", help="write into a folder that already holds files")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be >= 0")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    options = load_yaml_model(args.options, options_model) if args.options else options_model()
    try:
        summary = generate(args.out, n=args.n, seed=args.seed, options=options, overwrite=args.overwrite)
    except FileExistsError as exc:
        parser.error(str(exc))
    print(f"wrote {summary.images} {noun} with {summary.plates} plates ({summary.shapes} polygons) to {summary.out_dir}")


def main(argv: list[str] | None = None) -> None:
    run_cli(argv, "python -m alpr.synth", "Generate labelme-annotated synthetic licence-plate images.",
            SynthOptions, generate_dataset, 500, "images")


if __name__ == "__main__":
    main()
