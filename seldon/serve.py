"""``seldon-core-microservice`` listening on one interface: ``ALPR_BIND_HOST``.

seldon-core 1.18 binds its REST and metrics servers to 0.0.0.0, which a pod needs and a laptop
does not want: locally nothing but the router should be reachable from other machines. This
launcher sets gunicorn's ``bind`` to ``ALPR_BIND_HOST`` (keeping each server's port), then runs
seldon-core's own command line unchanged; without the variable it is seldon-core as it is.

    ALPR_BIND_HOST=127.0.0.1 python serve.py PlateDetector --service-type MODEL --http-port 9000
"""

from __future__ import annotations

import os

from seldon_core import gunicorn_utils, microservice

_seldon_load_config = gunicorn_utils.StandaloneApplication.load_config


def _load_config_on_host(app: gunicorn_utils.StandaloneApplication) -> None:
    _seldon_load_config(app)
    host = os.environ.get("ALPR_BIND_HOST")
    if host:
        app.cfg.set("bind", [f"{host}:{address.rsplit(':', 1)[1]}" for address in app.cfg.bind])


gunicorn_utils.StandaloneApplication.load_config = _load_config_on_host

if __name__ == "__main__":
    microservice.main()
