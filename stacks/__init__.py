"""Stack definitions (YAML data in this folder) and the one module that registers them."""

from stacks.register import StackError, StackSpec, ensure_stack, load_stack_spec, run_settings

__all__ = ["StackError", "StackSpec", "ensure_stack", "load_stack_spec", "run_settings"]
