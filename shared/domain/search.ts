import { ValidationError } from './errors';

/*
 * Message search, as data: the index definition, the document identity and the query. No client here;
 * shared/adapters/search-index.ts sends these to OpenSearch. Why bigrams + phrases: docs/search.md.
 */

/** The name every reader and writer uses; it points at one `messages_vN` index at a time. */
export const messagesAlias = (prefix: string) => `${prefix}messages`;
export const messagesIndexName = (prefix: string, version: number) => `${prefix}messages_v${version}`;

/** A message as the search index stores it (the `_source`). */
export interface MessageDocument {
  token: string;
  chat_number: number;
  number: number;
  content: string;
  created_at: string;
  updated_at: string;
}

/** What a writer (the messages consumer, the reindex) hands to the index. Timestamps are ISO 8601. */
export interface SearchableMessage {
  token: string;
  chatNumber: number;
  number: number;
  content: string;
  createdAt: string;
  updatedAt: string;
}

/** Re-delivery of the same message overwrites the same document: the id is the message's identity. */
export const messageDocumentId = (token: string, chatNumber: number, number: number) => `${token}:${chatNumber}:${number}`;

/** All messages of a chat live on one shard, so a chat's search asks one shard. */
export const chatRouting = (token: string, chatNumber: number) => `${token}:${chatNumber}`;

/**
 * The document's external version: its `updated_at` in epoch milliseconds. Written with
 * `version_type: external_gte`, so an older state delivered late is refused (409) and the same state
 * delivered twice is accepted. Two updates of one message within the same millisecond are not ordered.
 */
export function messageVersion(message: Pick<SearchableMessage, 'updatedAt'>): number {
  const millis = Date.parse(message.updatedAt);
  if (!Number.isFinite(millis) || millis < 0) throw new Error(`updatedAt is not a valid timestamp: ${message.updatedAt}`);
  return millis;
}

export interface MessageWrite {
  id: string;
  routing: string;
  version: number;
  document: MessageDocument;
}

export function messageWrite(message: SearchableMessage): MessageWrite {
  return {
    id: messageDocumentId(message.token, message.chatNumber, message.number),
    routing: chatRouting(message.token, message.chatNumber),
    version: messageVersion(message),
    document: {
      token: message.token,
      chat_number: message.chatNumber,
      number: message.number,
      content: message.content,
      created_at: new Date(message.createdAt).toISOString(),
      updated_at: new Date(message.updatedAt).toISOString(),
    },
  };
}

// Arabic harakat (fathatan … sukun, and the rarer marks up to U+065F), superscript alef and tatweel:
// written optionally, so they are dropped on both sides and "مرحبا" finds "مَرْحَبًا".
const ARABIC_OPTIONAL_MARKS = [...Array.from({ length: 0x065f - 0x064b + 1 }, (_, i) => 0x064b + i), 0x0670, 0x0640];

/**
 * Index settings and mappings. `content` is cut into overlapping 2-character grams over the whole text
 * (every character kept: letters, marks, CJK, emoji, punctuation, spaces), lowercased. A query word is
 * analysed the same way and matched as a phrase of its grams, i.e. consecutive positions, which is
 * exactly "contains this substring". `content.words` (standard analyzer) ranks whole words and phrases.
 */
export const messagesIndexDefinition = {
  settings: {
    index: {
      number_of_shards: 1,
      // One replica wherever there is a second node to hold it; none on a single local node.
      auto_expand_replicas: '0-1',
      // min_gram = max_gram = 2: no spread between gram sizes.
      max_ngram_diff: 0,
      max_result_window: 10_000,
    },
    analysis: {
      char_filter: {
        arabic_optional_marks: {
          type: 'mapping',
          mappings: ARABIC_OPTIONAL_MARKS.map((code) => `\\u${code.toString(16).padStart(4, '0')}=>`),
        },
      },
      tokenizer: {
        // token_chars unset = every character is a token character, so no script is split apart.
        content_bigrams: { type: 'ngram', min_gram: 2, max_gram: 2 },
      },
      analyzer: {
        content_substrings: {
          type: 'custom',
          char_filter: ['arabic_optional_marks'],
          tokenizer: 'content_bigrams',
          filter: ['lowercase'],
        },
      },
    },
  },
  mappings: {
    dynamic: 'strict',
    properties: {
      // Identifiers, only ever matched exactly: keyword terms are one postings lookup.
      token: { type: 'keyword' },
      chat_number: { type: 'keyword' },
      number: { type: 'integer' },
      content: {
        type: 'text',
        analyzer: 'content_substrings',
        // Matched in filter context only: no scoring, so no length norms.
        norms: false,
        fields: { words: { type: 'text', analyzer: 'standard' } },
      },
      created_at: { type: 'date' },
      updated_at: { type: 'date' },
    },
  },
} as const;

export const SEARCH_LIMITS = {
  /** Characters (code points) of a query word below which it is ignored. */
  minWordLength: 2,
  maxQueryLength: 200,
  maxWords: 10,
  /** OpenSearch's index.max_result_window: page × limit must stay within it. */
  maxResultWindow: messagesIndexDefinition.settings.index.max_result_window,
  highlightFragmentSize: 150,
  highlightFragments: 3,
} as const;

export interface SearchRequest {
  token: string;
  chatNumber: number;
  q: string;
  page: number;
  limit: number;
}

const characters = (text: string) => [...text].length;

/**
 * The query's words: split on white space, duplicates dropped, words shorter than two characters
 * ignored. Throws ValidationError when nothing searchable is left or the query is too big.
 */
export function searchWords(q: string): string[] {
  if (characters(q) > SEARCH_LIMITS.maxQueryLength) {
    throw new ValidationError(`q must be at most ${SEARCH_LIMITS.maxQueryLength} characters`);
  }
  const seen = new Set<string>();
  const words: string[] = [];
  for (const word of q.split(/\s+/u)) {
    if (characters(word) < SEARCH_LIMITS.minWordLength) continue;
    const key = word.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    words.push(word);
  }
  if (words.length === 0) throw new ValidationError(`q must contain a word of at least ${SEARCH_LIMITS.minWordLength} characters`);
  if (words.length > SEARCH_LIMITS.maxWords) throw new ValidationError(`q must have at most ${SEARCH_LIMITS.maxWords} words`);
  return words;
}

/**
 * Scores of the ranking tiers. Every scoring clause is a `constant_score`: a message's score is the sum
 * of the tiers it meets and nothing else, so it depends on that message alone, never on index-wide
 * term statistics (which other applications' messages would move: BM25's document frequencies are
 * per shard, not per chat). Each tier outweighs every lower tier met by all (≤ maxWords) words.
 */
export const RANK_TIERS = {
  /** The whole query as a phrase of whole words. */
  phrase: 1_000_000,
  /** Per query word found as a whole word. */
  exactWord: 10_000,
} as const;

const constantScore = (filter: object, boost: number) => ({ constant_score: { filter, boost } });

/**
 * The search body. Scope and every word's substring match are filters (they decide *whether* a message
 * matches); constant-score tiers decide the order: the exact phrase, then each word found as a whole
 * word; equal scores fall back to message number. The text only ever reaches match / match_phrase
 * queries, which analyse it as plain text: no query syntax, no operators, no errors from odd characters.
 */
export function buildSearchQuery({ token, chatNumber, q, page, limit }: SearchRequest) {
  if (!Number.isInteger(page) || page < 1) throw new ValidationError('page must be a positive integer');
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer');
  if (page * limit > SEARCH_LIMITS.maxResultWindow) {
    throw new ValidationError(`page × limit must be at most ${SEARCH_LIMITS.maxResultWindow}`);
  }
  const words = searchWords(q);
  const substring = (word: string) => ({ match_phrase: { content: { query: word } } });
  const should: object[] = words.map((word) => constantScore({ match: { 'content.words': { query: word, operator: 'and' } } }, RANK_TIERS.exactWord));
  if (words.length > 1) should.unshift(constantScore({ match_phrase: { 'content.words': { query: words.join(' ') } } }, RANK_TIERS.phrase));

  return {
    from: (page - 1) * limit,
    size: limit,
    track_total_hits: true,
    _source: ['number', 'content', 'created_at', 'updated_at'],
    query: {
      bool: {
        filter: [{ term: { token } }, { term: { chat_number: chatNumber } }, ...words.map(substring)],
        should,
      },
    },
    sort: [{ _score: { order: 'desc' } }, { number: { order: 'asc' } }],
    highlight: {
      // Fragments are HTML-escaped, so a client can render them as HTML with only the <em> marks live.
      encoder: 'html',
      pre_tags: ['<em>'],
      post_tags: ['</em>'],
      fields: {
        content: {
          type: 'unified',
          fragment_size: SEARCH_LIMITS.highlightFragmentSize,
          number_of_fragments: SEARCH_LIMITS.highlightFragments,
          no_match_size: SEARCH_LIMITS.highlightFragmentSize,
        },
      },
      highlight_query: { bool: { should: words.map(substring) } },
    },
  };
}

export type SearchQueryBody = ReturnType<typeof buildSearchQuery>;

export interface MessageHit {
  number: number;
  content: string;
  created_at: string;
  updated_at: string;
  /** HTML-escaped fragments of `content` with each match wrapped in `<em>`…`</em>`. */
  highlight: string[];
}

export interface SearchResult {
  hits: MessageHit[];
  total: number;
}
