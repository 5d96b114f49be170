import { MethodNotAllowed, NotFound } from '../../shared/domain/errors';
import { httpHandler } from '../../shared/http/handler';
import { allowedMethods } from '../../shared/http/openapi';

/**
 * Any request no route matches. A known path with another method is 405 with `Allow`; anything else
 * gets the API's own 404 body instead of the gateway's.
 */
export const handler = httpHandler(async (event) => {
  const method = (event.requestContext?.http?.method ?? '').toUpperCase();
  const allowed = allowedMethods(event.rawPath ?? '');
  if (allowed.length > 0 && !allowed.includes(method)) throw new MethodNotAllowed(method, allowed);
  throw new NotFound('route');
});
