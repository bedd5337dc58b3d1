"""Waiting for a server a test started to accept connections."""

from __future__ import annotations

import socket
import subprocess
import time


def wait_listening(port: int, proc: subprocess.Popen | None = None, timeout: float = 30.0,
                   host: str = "127.0.0.1") -> None:
    """Return once ``host:port`` accepts a connection; raise if ``timeout`` passes first or
    ``proc`` (the server, where the test started it) exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                exited = f"{proc.args[0]} exited with {proc.returncode}"
                raise RuntimeError(f"{exited} before listening on {port}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {host}:{port} after {timeout:.0f} s") from None
            time.sleep(0.1)
