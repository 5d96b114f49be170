import type { Counters } from '../adapters/counters';
import type { SearchRequest, SearchResult } from '../domain/search';
import { NotFound } from '../domain/errors';

export interface SearchDeps {
  counters: Counters;
  search: (request: SearchRequest) => Promise<SearchResult>;
}

/**
 * Searching a chat's messages. The chat's existence is checked in Redis (one read-only round trip),
 * not MySQL: Redis is the numbering's source of truth, so a chat that was numbered but whose row is
 * not written yet is a known, empty chat here, exactly as creating a message in it is allowed
 * (DESIGN invariant 3). The index alone cannot tell "unknown chat" from "no match".
 */
export const searchService = ({ counters, search }: SearchDeps) => ({
  async searchMessages(request: SearchRequest): Promise<SearchResult> {
    const numbering = await counters.chatNumbering(request.token, request.chatNumber);
    if ('missing' in numbering) {
      throw numbering.missing === 'application' ? new NotFound('application', request.token) : new NotFound('chat', request.chatNumber);
    }
    return search(request);
  },
});

export type SearchService = ReturnType<typeof searchService>;
