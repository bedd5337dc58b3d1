"""Stack definitions (YAML data in this folder) and the one module that registers them."""

from stacks.register import (
    StackError,
    StackSpec,
    check_run_config,
    ensure_stack,
    load_stack_spec,
    run_config_on_stack,
)

__all__ = ["StackError", "StackSpec", "check_run_config", "ensure_stack", "load_stack_spec", "run_config_on_stack"]
