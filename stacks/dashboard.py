"""The ZenML dashboard on this project's own state: ZenML's local server (the machinery of
``zenml login --local``), started in the background, with the client connected to it so that
later runs appear there.

A first visit to a fresh server shows an onboarding survey and a checklist instead of the
runs: both are answered before the server starts (the server serves this project's store).
"""

from __future__ import annotations

from zenml.client import Client
from zenml.enums import OnboardingStep

from alpr.deployment.local import port_free

DEFAULT_PORT = 8237


class DashboardError(RuntimeError):
    pass


def start_dashboard(port: int = DEFAULT_PORT) -> str:
    """Start (or keep) the local server on ``port``; its dashboard URL."""
    from zenml.cli.login import start_local_server

    running = _local_server()
    if running is not None and running.config.port == port and running.status and running.status.url:
        _deployer().connect_to_server()
        return running.status.url
    if not port_free(port):
        raise DashboardError(f"port {port} is in use by another program; choose another with --port")
    if running is not None:  # on another port: one local server at a time
        _deployer().remove_server()
    _skip_onboarding()
    try:
        start_local_server(port=port)
    except SystemExit as exc:  # ZenML's CLI helpers exit with their own message printed
        raise DashboardError(f"the ZenML server did not start on port {port} (exit {exc.code})") from exc
    server = _local_server()
    if server is None or not server.status or not server.status.url:
        raise DashboardError("the ZenML server did not report its URL; see `zenml logs`")
    return server.status.url


def stop_dashboard() -> bool:
    """Stop the local server; the client goes back to the project's own store. True if one ran."""
    if _local_server() is None:
        return False
    _deployer().remove_server()
    return True


def _deployer():
    from zenml.zen_server.deploy.deployer import LocalServerDeployer

    return LocalServerDeployer()


def _local_server():
    from zenml.zen_server.deploy.exceptions import ServerDeploymentNotFoundError

    try:
        return _deployer().get_server()
    except ServerDeploymentNotFoundError:
        return None


def _skip_onboarding() -> None:
    """The survey answered for the current user, every checklist step done: the first visit
    lands on the runs."""
    client = Client()
    client.update_user(client.active_user.id, updated_email_opt_in=False,
                       updated_metadata={**client.active_user.user_metadata, "finished_onboarding_survey": True})
    client.zen_store.update_onboarding_state({step.value for step in OnboardingStep})
