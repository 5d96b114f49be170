import { LiveConnectQuery } from '../../shared/domain/schemas';
import { httpHandler } from '../../shared/http/handler';
import { connectionIdOf, parseQuery } from '../../shared/http/parse';
import { ok } from '../../shared/http/responses';
import { services } from '../../shared/services';

/** `$connect ?token=…&chat=N`: an unknown application or chat refuses the connection (400/404). */
export const connect = httpHandler(async (event) => {
  const { token, chat } = parseQuery(LiveConnectQuery, event);
  await services.live().connect({ token, chatNumber: chat }, connectionIdOf(event));
  return ok({});
});

export const disconnect = httpHandler(async (event) => {
  await services.live().disconnect(connectionIdOf(event));
  return ok({});
}, { jsonBody: false });
