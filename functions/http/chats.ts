import { AppPath, ChatPath, CreateChatBody, Paging } from '../../shared/domain/schemas';
import { httpHandler } from '../../shared/http/handler';
import { parseBody, parseIdempotencyKey, parsePath, parseQuery } from '../../shared/http/parse';
import { created, ok } from '../../shared/http/responses';
import { services } from '../../shared/services';

export const create = httpHandler(async (event) => {
  const { token } = parsePath(AppPath, event);
  parseBody(CreateChatBody, event);
  return created({ number: await services.chats().createChat(token, parseIdempotencyKey(event)) });
});

export const get = httpHandler(async (event) => {
  const { token, chatNumber } = parsePath(ChatPath, event);
  return ok(await services.chats().getChat(token, chatNumber));
});

export const list = httpHandler(async (event) => {
  const { token } = parsePath(AppPath, event);
  const paging = parseQuery(Paging, event);
  return ok({ data: await services.chats().listChats(token, paging), ...paging });
});
