import type { MatchRequest, MatchRequest__Output } from '../../src/contract/creatormatch/v1/MatchRequest';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { deserializeMatchRequest } from '../../src/grpc/request-codec';

const match = matcherClientConstructor().service.Match;

/** A MatchRequest as the server's handler receives it: serialised, then decoded by the server's deserializer. */
export function asReceived(request: MatchRequest): MatchRequest__Output {
  return deserializeMatchRequest(match.requestSerialize(request));
}
