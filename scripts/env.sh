# Source this to use the ZenML CLI on this project's state: `source scripts/env.sh`
# (then e.g. `zenml stack list`, `zenml stack set kubeflow`, `zenml login --local`).
_alpr_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ZENML_CONFIG_PATH="${ZENML_CONFIG_PATH:-$_alpr_root/.zenml}"
export ZENML_ANALYTICS_OPT_IN=false ZENML_AUTO_OPEN_DASHBOARD=false NO_GCE_CHECK=true
export ZENML_CUSTOM_SOURCE_ROOT="${ZENML_CUSTOM_SOURCE_ROOT:-$_alpr_root}"
# shellcheck disable=SC1091
source "$_alpr_root/.venv/bin/activate"
unset _alpr_root
