import { AutocompleteQuery, ChatPath, SearchQuery } from '../../shared/domain/schemas';
import { httpHandler } from '../../shared/http/handler';
import { parsePath, parseQuery } from '../../shared/http/parse';
import { ok } from '../../shared/http/responses';
import { services } from '../../shared/services';

export const search = httpHandler(async (event) => {
  const { token, chatNumber } = parsePath(ChatPath, event);
  const { q, page, limit, fuzzy } = parseQuery(SearchQuery, event);
  const { hits, total } = await services.search().searchMessages({ token, chatNumber, q, page, limit, fuzzy });
  return ok({ data: hits, page, limit, total });
});

/** The seed's name for the same search. */
export const autocomplete = httpHandler(async (event) => {
  const { token, chatNumber } = parsePath(ChatPath, event);
  const { keyword, page, limit, fuzzy } = parseQuery(AutocompleteQuery, event);
  const { hits, total } = await services.search().searchMessages({ token, chatNumber, q: keyword, page, limit, fuzzy });
  return ok({ data: hits, page, limit, total });
});
