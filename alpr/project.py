"""Where project state lives, and the environment defaults every entry point applies.

Setting these before ZenML is imported keeps its store, artifacts and our catalog inside
the project's ``.zenml/`` folder (never the user's home) and turns analytics off.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def zenml_config_path() -> Path:
    return Path(os.environ.get("ZENML_CONFIG_PATH") or PROJECT_ROOT / ".zenml")


def apply_environment_defaults() -> None:
    """Project defaults; variables the user already set win."""
    os.environ.setdefault("ZENML_CONFIG_PATH", str(PROJECT_ROOT / ".zenml"))
    os.environ.setdefault("ZENML_ANALYTICS_OPT_IN", "false")
    os.environ.setdefault("ZENML_AUTO_OPEN_DASHBOARD", "false")
    os.environ.setdefault("ZENML_ENABLE_RICH_TRACEBACK", "false")
    # steps and pipelines are imported relative to the project root, wherever Python runs from;
    # no `.zen/` repository, so the active stack lives with the store in ZENML_CONFIG_PATH
    os.environ.setdefault("ZENML_CUSTOM_SOURCE_ROOT", str(PROJECT_ROOT))
    # gcsfs/google-auth: do not wait 16 s for a metadata server that is not there
    os.environ.setdefault("NO_GCE_CHECK", "true")
