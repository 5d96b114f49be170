import { SEARCH_LIMITS, type SearchRequest, type SearchResult } from '../domain/search';
import type { CounterRecovery } from './recovery';

export interface SearchDeps {
  recovery: CounterRecovery;
  search: (request: SearchRequest) => Promise<SearchResult>;
}

/**
 * Searching a chat's messages. The chat's existence is checked in Redis (one read-only round trip),
 * not MySQL: Redis is the numbering's source of truth, so a chat that was numbered but whose row is
 * not written yet is a known, empty chat here, exactly as creating a message in it is allowed
 * (DESIGN invariant 3). The index alone cannot tell "unknown chat" from "no match".
 */
export const searchService = ({ recovery, search }: SearchDeps) => ({
  async searchMessages(request: SearchRequest): Promise<SearchResult> {
    // A miss is confirmed against MySQL before a 404 (Redis may have lost the chat's counter).
    await recovery.knownChat(request.token, request.chatNumber);
    // A page past the index's result window is a valid request (the OpenAPI document allows any page)
    // with nothing on it: answer it empty, with the total of the first page's query.
    if (request.page * request.limit > SEARCH_LIMITS.maxResultWindow) {
      const { total } = await search({ ...request, page: 1, limit: 1 });
      return { hits: [], total };
    }
    return search(request);
  },
});

export type SearchService = ReturnType<typeof searchService>;
