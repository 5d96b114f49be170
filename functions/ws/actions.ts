import { UnknownAction } from '../../shared/domain/live';
import { httpHandler } from '../../shared/http/handler';
import { connectionIdOf } from '../../shared/http/parse';
import { ok } from '../../shared/http/responses';
import { services } from '../../shared/services';

/** `{"action":"ping"}` → `{"type":"pong"}` (the route response), and the connection stays registered. */
export const ping = httpHandler(async (event) => {
  await services.live().ping(connectionIdOf(event));
  return ok({ type: 'pong' });
}, { jsonBody: false });

/** Anything else a client sends: a 400-style error frame `{"error":{"code":"unknown_action",…}}`. */
export const unknownAction = httpHandler(async () => {
  throw new UnknownAction();
}, { jsonBody: false });
