"""A small Python client for creator-match.

Generate the stubs first (Debian packages, see generate_stubs.sh), then::

    from creator_match_client import CreatorMatchClient
    with CreatorMatchClient("localhost:50051") as client:
        res = client.match(interest_text="weekly true crime podcast", k=5)
        for m in res.matches:
            print(m.score, m.creator_id)

Unary calls have a deadline (default 10 s) and are retried on UNAVAILABLE with exponential
backoff; the service's reason code (docs/ERRORS.md) is on ``MatchCallError.reason``.
"""
import os
import random
import sys
import time
from typing import Iterable, Iterator, Optional

import grpc

_GENERATED = os.path.join(os.path.dirname(__file__), "_generated")
if os.environ.get("CREATOR_MATCH_STUBS"):
    _GENERATED = os.environ["CREATOR_MATCH_STUBS"]
if not os.path.isdir(os.path.join(_GENERATED, "creatormatch")):
    raise ImportError(f"no generated stubs in {_GENERATED}: run clients/python/generate_stubs.sh")
sys.path.insert(0, _GENERATED)

from creatormatch.v1 import creator_match_pb2 as pb  # noqa: E402
from creatormatch.v1 import creator_match_pb2_grpc as rpc  # noqa: E402

REASON_METADATA_KEY = "creator-match-reason"

__all__ = ["CreatorMatchClient", "MatchCallError", "pb"]


class MatchCallError(Exception):
    """A failed call: the gRPC status code, the message and the service's reason."""

    def __init__(self, err: grpc.RpcError):
        self.code = err.code()
        self.details = err.details()
        trailers = dict(err.trailing_metadata() or ())
        self.reason = trailers.get(REASON_METADATA_KEY, "")
        super().__init__(f"{self.code.name} ({self.reason}): {self.details}")


class CreatorMatchClient:
    def __init__(self, address: str, credentials: Optional[grpc.ChannelCredentials] = None,
                 deadline_s: float = 10.0, max_attempts: int = 5, backoff_s: float = 0.1):
        self._channel = grpc.secure_channel(address, credentials) if credentials else grpc.insecure_channel(address)
        self._stub = rpc.CreatorMatcherStub(self._channel)
        self._deadline_s = deadline_s
        self._max_attempts = max(1, max_attempts)
        self._backoff_s = backoff_s

    def __enter__(self) -> "CreatorMatchClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _unary(self, method, request):
        until = time.monotonic() + self._deadline_s
        for attempt in range(1, self._max_attempts + 1):
            try:
                return method(request, timeout=max(0.001, until - time.monotonic()))
            except grpc.RpcError as err:
                wait = random.random() * self._backoff_s * 2 ** (attempt - 1)
                if err.code() != grpc.StatusCode.UNAVAILABLE or attempt == self._max_attempts or time.monotonic() + wait >= until:
                    raise MatchCallError(err) from None
                time.sleep(wait)

    def match(self, request: Optional[pb.MatchRequest] = None, **fields) -> pb.MatchResponse:
        """Top-k creators: pass a MatchRequest, or its fields (interest_text=..., k=..., filter=pb.Filter(...))."""
        if request is None:
            if "vector" in fields and not isinstance(fields["vector"], pb.Vector):
                fields["vector"] = pb.Vector(values=fields["vector"])
            if "like_creators" in fields and not isinstance(fields["like_creators"], pb.CreatorIds):
                fields["like_creators"] = pb.CreatorIds(ids=fields["like_creators"])
            request = pb.MatchRequest(**fields)
        return self._unary(self._stub.Match, request)

    def index_info(self, variant: str = "") -> pb.IndexInfo:
        return self._unary(self._stub.GetIndexInfo, pb.GetIndexInfoRequest(variant=variant))

    def batch_match(self, requests: Iterable[pb.MatchRequest], deadline_s: Optional[float] = None) -> Iterator[pb.MatchResponse]:
        """Responses in request order; failed items carry `error`, the stream goes on."""
        try:
            yield from self._stub.BatchMatch(iter(requests), timeout=deadline_s)
        except grpc.RpcError as err:
            raise MatchCallError(err) from None
