"""A second-language client: calls Match and BatchMatch through stubs generated from proto/.

Usage: python3 match_client.py STUBS_DIR ADDR VECTOR_JSON
Prints one JSON object with what came back.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from creatormatch.v1 import creator_match_pb2 as pb  # noqa: E402
from creatormatch.v1 import creator_match_pb2_grpc as rpc  # noqa: E402


def main() -> None:
    addr, vector = sys.argv[2], json.loads(sys.argv[3])
    with grpc.insecure_channel(addr) as channel:
        stub = rpc.CreatorMatcherStub(channel)
        single = stub.Match(pb.MatchRequest(request_id="py-1", vector=pb.Vector(values=vector), k=3, include_profile=True), timeout=10)
        try:
            stub.Match(pb.MatchRequest(request_id="py-bad", vector=pb.Vector(values=[1.0, 2.0])), timeout=10)
            bad = None
        except grpc.RpcError as err:
            bad = {"code": err.code().name, "details": err.details()}
        items = [
            pb.MatchRequest(request_id="b1", vector=pb.Vector(values=vector), k=2),
            pb.MatchRequest(request_id="b2", like_creators=pb.CreatorIds(ids=["does-not-exist"])),
            pb.MatchRequest(request_id="b3", vector=pb.Vector(values=vector), k=1, filter=pb.Filter(min_score=0.5)),
        ]
        batch = list(stub.BatchMatch(iter(items), timeout=30))
        info = stub.GetIndexInfo(pb.GetIndexInfoRequest(), timeout=10)
    print(json.dumps({
        "single": {
            "request_id": single.request_id,
            "ids": [m.creator_id for m in single.matches],
            "first_profile_category": single.matches[0].profile.category,
        },
        "bad": bad,
        "batch": [
            {"request_id": r.request_id, "n": len(r.matches), "error_code": r.error.code, "reason": r.error.reason}
            for r in batch
        ],
        "info": {"dims": info.dims, "creator_count": info.creator_count},
    }))


if __name__ == "__main__":
    main()
