"""CLI: ``python -m alpr.foreign OUT --n 200 --seed 1 [--options foreign.yaml] [--overwrite]``."""

from __future__ import annotations

from alpr.foreign import ForeignOptions, generate_foreign
from alpr.synth.__main__ import run_cli


def main(argv: list[str] | None = None) -> None:
    run_cli(argv, "python -m alpr.foreign",
            "Render labelme-annotated plate photos the model never trains on (the foreign test set).",
            ForeignOptions, generate_foreign, 200, "photos")


if __name__ == "__main__":
    main()
