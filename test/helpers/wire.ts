import type { MatchRequest, MatchRequest__Output } from '../../src/contract/creatormatch/v1/MatchRequest';
import { matcherClientConstructor } from '../../src/grpc/proto';

const match = matcherClientConstructor().service.Match;

/** A MatchRequest as the server's handler receives it: serialised and decoded with the service's loader options. */
export function asReceived(request: MatchRequest): MatchRequest__Output {
  return match.requestDeserialize(match.requestSerialize(request));
}
