"""Typed deployment settings (from the pipeline config YAML)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class KubernetesSettings(BaseModel):
    image: str = "alpr-seldon:0.1.0"
    namespace: str = "seldon"
    replicas: int = Field(1, ge=1)
    storage_secret: str = "alpr-gcs-credentials"
    ingress_host: str = "localhost"
    timeout_s: float = 600.0


class DeploySettings(BaseModel):
    enabled: bool = False
    #: where to deploy: the same step serves both stacks, the config picks the target
    target: Literal["local", "kubernetes"] = "local"
    #: a Kubernetes object name (DNS-1123 label); locally also the deployment's folder name
    name: str = Field("alpr", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    port: int = Field(8000, ge=1, le=65535)
    #: Seldon's gRPC API (Seldon/Predict) of the local deployment, beside REST; 0: none
    grpc_port: int = Field(5001, ge=0, le=65535)
    #: where the local router listens: loopback unless the predictions API is to be reachable
    #: from other machines (``0.0.0.0``; put a TLS proxy with authentication in front of it)
    host: str = "127.0.0.1"
    workers: int = Field(1, ge=1)
    force: bool = False
    kubernetes: KubernetesSettings = KubernetesSettings()
