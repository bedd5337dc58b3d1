"""Seldon Core's gRPC API (``seldon.protos.Seldon/Predict``) in front of the local chain.

The router starts it with ``--grpc-port``: a ``SeldonMessage`` becomes the JSON a REST client
would send, goes through the very chain REST requests take (limits, routes, model, output
transformer), and the answer comes back as a ``SeldonMessage``; a refusal becomes the gRPC
status matching its HTTP status, with the same message. As behind Seldon's ingress, the
``seldon`` metadata key may name the deployment (another name: NOT_FOUND) and ``namespace`` is
accepted whatever it is, so seldon-core's ``SeldonClient(transport="grpc")`` works unchanged.
Needs grpcio and seldon-core's protos: the serving environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent import futures

import grpc
from seldon_core.proto import prediction_pb2_grpc
from seldon_core.utils import json_to_seldon_message, seldon_message_to_json

#: the chain's HTTP statuses as gRPC status codes; other 4xx: INVALID_ARGUMENT, other 5xx: INTERNAL
GRPC_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    408: grpc.StatusCode.DEADLINE_EXCEEDED,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    502: grpc.StatusCode.UNAVAILABLE,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}

#: ``predict(json_body) -> (http_status, answer_body)``: the router's chain
Predict = Callable[[bytes], tuple[int, bytes]]


class SeldonGateway(prediction_pb2_grpc.SeldonServicer):
    def __init__(self, predict: Predict, deployment: str):
        self.predict, self.deployment = predict, deployment

    def Predict(self, request, context):  # noqa: N802 (the proto's name)
        name = dict(context.invocation_metadata()).get("seldon")
        if name not in (None, self.deployment):
            context.abort(grpc.StatusCode.NOT_FOUND, f"no deployment {name!r} here; this is {self.deployment!r}")
        status, answer = self.predict(json.dumps(seldon_message_to_json(request)).encode())
        if status != 200:
            context.abort(_code(status), _info(answer, status))
        return json_to_seldon_message(json.loads(answer))

    def SendFeedback(self, request, context):  # noqa: N802
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "feedback is not collected by this deployment (it has no "
                                                     "feedback routing or reward metrics); call Predict only")


def start_grpc(host: str, port: int, predict: Predict, deployment: str, max_message_bytes: int,
               max_concurrent: int) -> grpc.Server:
    """A started gRPC server on ``host:port``; more than ``max_concurrent`` calls at once get
    RESOURCE_EXHAUSTED, and so does a message over ``max_message_bytes``."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_concurrent), maximum_concurrent_rpcs=max_concurrent,
                         options=[("grpc.max_receive_message_length", max_message_bytes),
                                  ("grpc.max_send_message_length", max_message_bytes),
                                  ("grpc.so_reuseport", 0)])  # a busy port is an error, not a shared one
    prediction_pb2_grpc.add_SeldonServicer_to_server(SeldonGateway(predict, deployment), server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:  # grpcio >= 1.56 raises where older versions returned 0
        raise OSError(f"gRPC port {host}:{port} cannot be opened: {exc}") from exc
    if bound == 0:
        raise OSError(f"gRPC port {host}:{port} cannot be opened (in use?)")
    server.start()
    return server


def _code(status: int) -> grpc.StatusCode:
    return GRPC_CODES.get(status, grpc.StatusCode.INVALID_ARGUMENT if status < 500 else grpc.StatusCode.INTERNAL)


def _info(answer: bytes, status: int) -> str:
    """The message of a refusal (Seldon's ``status.info``), else the answer's start."""
    try:
        return str(json.loads(answer)["status"]["info"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {status}: {answer[:200].decode(errors='replace')}"
