import { ChatPath, MessageBody, MessagePath, Paging } from '../../shared/domain/schemas';
import { httpHandler } from '../../shared/http/handler';
import { parseBody, parseIdempotencyKey, parsePath, parseQuery } from '../../shared/http/parse';
import { accepted, created, ok } from '../../shared/http/responses';
import { services } from '../../shared/services';

export const create = httpHandler(async (event) => {
  const { token, chatNumber } = parsePath(ChatPath, event);
  const { content } = parseBody(MessageBody, event);
  return created({ number: await services.chats().createMessage(token, chatNumber, content, parseIdempotencyKey(event)) });
});

export const get = httpHandler(async (event) => {
  const { token, chatNumber, messageNumber } = parsePath(MessagePath, event);
  return ok(await services.chats().getMessage(token, chatNumber, messageNumber));
});

export const list = httpHandler(async (event) => {
  const { token, chatNumber } = parsePath(ChatPath, event);
  const paging = parseQuery(Paging, event);
  return ok({ data: await services.chats().listMessages(token, chatNumber, paging), ...paging });
});

/** 202: the edit is enqueued; GET shows it once the consumer applied it. */
export const update = httpHandler(async (event) => {
  const { token, chatNumber, messageNumber } = parsePath(MessagePath, event);
  const { content } = parseBody(MessageBody, event);
  await services.chats().updateMessage(token, chatNumber, messageNumber, content);
  return accepted({ number: messageNumber });
});
