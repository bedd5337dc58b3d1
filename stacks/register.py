"""Register a stack from ``stacks/<name>.yaml`` through the ZenML Python client (idempotent).

Components that already exist with the same name are reused as they are; a stack that
already exists is only activated, so re-running costs one lookup. Values may name environment
variables: ``${VAR}`` must be set, ``${VAR:-default}`` falls back to its default, and a
setting that comes out empty is left unset. Every variable still missing is named in one
error, before anything is registered; a registration that fails half-way removes what it
created, so no half-registered stack is left behind.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, Field
from zenml.client import Client
from zenml.enums import StackComponentType, StoreType

STACKS_DIR = Path(__file__).resolve().parent
VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


class StackError(RuntimeError):
    """A stack that cannot be registered or used as configured; the message says what to do."""


class ComponentSpec(BaseModel):
    name: str
    flavor: str
    #: a flavor of this project (``module.Class``), registered with ZenML first
    flavor_source: str | None = None
    configuration: dict[str, object] = Field(default_factory=dict)


class StackSpec(BaseModel):
    name: str
    #: the stack runs steps elsewhere (pods), so the ZenML store must be a server they can reach
    remote: bool = False
    components: dict[StackComponentType, ComponentSpec]
    #: what every run on this stack adds to its config (a ZenML run config: ``settings`` such as
    #: the image its pods run, ``steps`` resources, ``parameters``), laid over the config file
    run_config: dict[str, object] = Field(default_factory=dict)


def load_stack_spec(name: str) -> StackSpec:
    """Read ``stacks/<name>.yaml`` with its variables resolved from the environment."""
    path = STACKS_DIR / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in STACKS_DIR.glob("*.yaml"))
        raise KeyError(f"no stack definition {path}; known stacks: {', '.join(known)}")
    text = path.read_text()
    problem = _missing_variables(path)
    if problem:
        raise StackError(problem)
    doc = yaml.safe_load(VARIABLE.sub(lambda m: os.environ.get(m[1]) or (m[2] or ""), text))
    for component in doc.get("components", {}).values():
        settings = component.get("configuration") or {}
        component["configuration"] = {k: v for k, v in settings.items() if v not in ("", None)}
    return StackSpec.model_validate(doc)


def ensure_stack(name: str, activate: bool = True) -> str:
    """Make sure stack ``name`` exists (registering it from its YAML if not); activate it."""
    client = Client()
    exists = _stack_exists(client, name)
    path = STACKS_DIR / f"{name}.yaml"
    problems = [p for p in (_store_problem(client, name), "" if exists or not path.exists() else _missing_variables(path))
                if p]
    if problems:
        raise StackError("\n".join(problems))
    if not exists:
        spec = load_stack_spec(name)
        created = []
        try:
            for ctype, comp in spec.components.items():
                if comp.flavor_source and not client.list_flavors(name=comp.flavor, type=ctype.value).items:
                    client.create_flavor(source=comp.flavor_source, component_type=ctype)
                if not client.list_stack_components(name=comp.name, type=ctype.value).items:
                    created.append(client.create_stack_component(
                        name=comp.name, flavor=comp.flavor, component_type=ctype,
                        configuration=dict(comp.configuration)))
            client.create_stack(name=spec.name, components={t: c.name for t, c in spec.components.items()})
        except Exception as exc:
            for component in reversed(created):
                client.delete_stack_component(component.id, component.type)
            raise StackError(f"stack {name!r} was not registered (nothing of it is left): {exc}") from exc
    if activate and client.active_stack_model.name != name:
        client.activate_stack(name)
    return name


def run_config_on_stack(config: dict, parameters: set[str]) -> dict:
    """``config`` (a ZenML run config) for a run on the active stack: what the stack's definition
    adds to every run laid over it (its ``parameters`` only those in ``parameters``, the ones
    the pipeline takes from its config), checked by ``check_run_config``."""
    client = Client()
    stack = client.active_stack_model
    path = STACKS_DIR / f"{stack.name}.yaml"
    added = load_stack_spec(stack.name).run_config if path.exists() else {}
    added["parameters"] = {k: v for k, v in (added.get("parameters") or {}).items() if k in parameters}
    merged = _merged(config, added)
    check_run_config(merged, stack.components[StackComponentType.ORCHESTRATOR][0].flavor_name)
    return merged


def _merged(base: dict, override: dict) -> dict:
    """``base`` with ``override`` laid over it: mappings merged key by key, lists joined (the
    secrets of both), anything else replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + [v for v in value if v not in out[key]]
        else:
            out[key] = value
    return out


#: Kubeflow orchestrator flavors (ZenML's, ours) and the settings keys that reach them
KUBEFLOW_FLAVORS = ("kubeflow", "alpr_kubeflow")
KUBEFLOW_SETTINGS_KEYS = ("orchestrator", *(f"orchestrator.{flavor}" for flavor in KUBEFLOW_FLAVORS))


def check_run_config(config: dict, orchestrator_flavor: str) -> None:
    """Refuse, before anything is compiled, secrets that do not exist (ZenML would skip them
    silently) and, for a Kubeflow orchestrator, settings that would crash compilation or be
    dropped on the way to the pods, naming each. ZenML's Kubeflow orchestrator passes on CPU and
    GPU counts and one pod setting, ``node_selectors.accelerator`` (its value becomes the GPU
    resource name); memory crashes KFP compilation (a float where KFP wants a string)."""
    problems = []
    scopes = [("", config.get("settings") or {})] + [
        (f"steps.{name}.", (step or {}).get("settings") or {}) for name, step in (config.get("steps") or {}).items()]
    for where, settings in scopes if orchestrator_flavor in KUBEFLOW_FLAVORS else []:
        if (settings.get("resources") or {}).get("memory") is not None:
            problems.append(f"{where}settings.resources.memory: ZenML's Kubeflow orchestrator cannot pass memory to "
                            "KFP (compilation fails); leave it out (cpu_count and gpu_count work)")
        for key in KUBEFLOW_SETTINGS_KEYS:
            orchestrator = settings.get(key) or {}
            pod = orchestrator.get("pod_settings") or {}
            dropped = [f"pod_settings.{field}" for field in pod if field != "node_selectors"]
            dropped += [f"pod_settings.node_selectors.{k}" for k in pod.get("node_selectors") or {} if k != "accelerator"]
            dropped += [f"node_selectors.{k}" for k in orchestrator.get("node_selectors") or {} if k != "accelerator"]
            dropped += ["node_affinity"] if "node_affinity" in orchestrator else []
            problems += [f"{where}settings.{key}.{name}: dropped on the way to the pods (KFP 2.x takes only "
                         "node_selectors.accelerator, the GPU resource)" for name in dropped]
    secrets = [(f"steps.{name}.", secret) for name, step in (config.get("steps") or {}).items()
               for secret in (step or {}).get("secrets") or []]
    for where, secret in [("", s) for s in config.get("secrets") or []] + secrets:
        try:
            Client().get_secret(secret, allow_partial_name_match=False, hydrate=False)
        except KeyError:
            problems.append(f"{where}secrets: no ZenML secret {secret!r}; create it first (`zenml secret create "
                            f"{secret} --KEY=value ...`, see the stack's definition)")
    if problems:
        raise StackError("settings that would not take effect:\n" + "\n".join(problems))


def _store_problem(client: Client, name: str) -> str:
    """A remote stack's steps report to the ZenML store from their pods: it must be a server."""
    path = STACKS_DIR / f"{name}.yaml"
    remote = path.exists() and bool((yaml.safe_load(VARIABLE.sub("", path.read_text())) or {}).get("remote"))
    if remote and client.zen_store.type != StoreType.REST:
        return (f"stack {name!r} runs its steps on a cluster, which must reach a ZenML server; this client uses a "
                f"local database ({client.zen_store.url}). Connect to a deployed server first: "
                "`zenml login https://<your ZenML server>`")
    return ""


def _missing_variables(path: Path) -> str:
    """What is missing to resolve ``path``: every required variable not set, in one sentence."""
    missing = sorted({m[1] for m in VARIABLE.finditer(_uncommented(path.read_text()))
                      if m[2] is None and not os.environ.get(m[1])})
    return (f"{path.name} needs these environment variables, not set: {', '.join(missing)} (see the comments in "
            f"{path})") if missing else ""


def _stack_exists(client: Client, name: str) -> bool:
    return bool(client.list_stacks(name=name).items)


def _uncommented(text: str) -> str:
    """The YAML without its comments (which may mention variables as examples)."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())
