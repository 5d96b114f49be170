import { AppBody, AppPath } from '../../shared/domain/schemas';
import { httpHandler } from '../../shared/http/handler';
import { parseBody, parseIdempotencyKey, parsePath } from '../../shared/http/parse';
import { created, ok } from '../../shared/http/responses';
import { services } from '../../shared/services';

export const create = httpHandler(async (event) => {
  const { name } = parseBody(AppBody, event);
  return created(await services.applications().create(name, parseIdempotencyKey(event, { global: true })));
});

export const get = httpHandler(async (event) => {
  const { token } = parsePath(AppPath, event);
  return ok(await services.applications().get(token));
});

export const update = httpHandler(async (event) => {
  const { token } = parsePath(AppPath, event);
  const { name } = parseBody(AppBody, event);
  return ok(await services.applications().rename(token, name));
});
