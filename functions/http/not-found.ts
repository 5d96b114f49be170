import { NotFound } from '../../shared/domain/errors';
import { httpHandler } from '../../shared/http/handler';

/** Any path no route matches gets the API's error shape instead of the gateway's own 404. */
export const handler = httpHandler(async () => {
  throw new NotFound('route');
});
