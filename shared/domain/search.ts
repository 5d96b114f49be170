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

/**
 * The version of the index definition below. Indices are named `messages_vN` with N ≥ this version:
 * a stage whose live index was built from an earlier definition is moved to a new index by the
 * reindex (v2 added the one-character subfields and normalised `content.words`).
 */
export const MESSAGES_INDEX_VERSION = 2;

const codeRange = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Arabic marks written optionally (tashkeel), dropped on both sides so "مرحبا" finds "مَرْحَبًا": the
 * harakat (fathatan … sukun and the rarer vowel signs up to U+065F), superscript alef, tatweel, and the
 * small Quranic signs and annotation marks.
 */
export const ARABIC_OPTIONAL_MARKS = [
  ...codeRange(0x0610, 0x061a),
  ...codeRange(0x064b, 0x065f),
  0x0670,
  0x0640,
  ...codeRange(0x06d6, 0x06dc),
  ...codeRange(0x06df, 0x06e4),
  0x06e7,
  0x06e8,
  ...codeRange(0x06ea, 0x06ed),
];

const OPTIONAL_MARKS = new RegExp(`[${ARABIC_OPTIONAL_MARKS.map((code) => `\\u{${code.toString(16)}}`).join('')}]`, 'gu');

/** A query word as the index's analyzers see it before they cut it: without the optional marks. */
export const normaliseSearchText = (text: string) => text.replace(OPTIONAL_MARKS, '');

/**
 * Index settings and mappings. `content` is cut into overlapping 2-character grams over the whole text
 * (every character kept: letters, marks, CJK, emoji, punctuation, spaces), lowercased. A query word is
 * analysed the same way and matched as a phrase of its grams, i.e. consecutive positions, which is
 * exactly "contains this substring". `content.chars` (1-grams, documents only) answers one-character
 * queries; `content.words` (standard tokenizer) and `content.initials` (each word's first character)
 * only rank. Every analyzer drops the optional Arabic marks first.
 */
export const messagesIndexDefinition = {
  settings: {
    index: {
      number_of_shards: 1,
      // One replica wherever there is a second node to hold it; none on a single local node.
      auto_expand_replicas: '0-1',
      // min_gram = max_gram in every gram tokenizer and filter: no spread between gram sizes.
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
        content_unigrams: { type: 'ngram', min_gram: 1, max_gram: 1 },
      },
      filter: {
        first_character: { type: 'edge_ngram', min_gram: 1, max_gram: 1 },
      },
      analyzer: {
        content_substrings: { type: 'custom', char_filter: ['arabic_optional_marks'], tokenizer: 'content_bigrams', filter: ['lowercase'] },
        content_characters: { type: 'custom', char_filter: ['arabic_optional_marks'], tokenizer: 'content_unigrams', filter: ['lowercase'] },
        content_words: { type: 'custom', char_filter: ['arabic_optional_marks'], tokenizer: 'standard', filter: ['lowercase'] },
        content_initials: { type: 'custom', char_filter: ['arabic_optional_marks'], tokenizer: 'standard', filter: ['lowercase', 'first_character'] },
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
        // Nothing is scored by relevance (constant-score tiers only): no length norms anywhere.
        norms: false,
        fields: {
          words: { type: 'text', analyzer: 'content_words', norms: false },
          // Which characters a message contains: membership only, no positions or frequencies.
          chars: { type: 'text', analyzer: 'content_characters', norms: false, index_options: 'docs' },
          initials: { type: 'text', analyzer: 'content_initials', norms: false, index_options: 'docs' },
        },
      },
      created_at: { type: 'date' },
      updated_at: { type: 'date' },
    },
  },
} as const;

export const SEARCH_LIMITS = {
  /** Characters (code points, after normalisation) from which a query word is matched as a substring. */
  minWordLength: 2,
  /** Characters (after normalisation) from which `fuzzy=true` also accepts a word one edit away. */
  minFuzzyWordLength: 4,
  /**
   * Terms of the whole index within one edit of a query word that a fuzzy clause considers (closest
   * first, then alphabetical). Below OpenSearch's 1,024-clause limit.
   */
  fuzzyMaxExpansions: 1000,
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
  /** Also accept, for each word of ≥ minFuzzyWordLength characters, a word one edit away (ranked last). */
  fuzzy?: boolean;
}

const characters = (text: string) => [...text].length;

/**
 * The query's words, as the index will compare them: split on white space, optional Arabic marks
 * dropped (so a word's length is counted as the index sees it), words that normalise to nothing and
 * duplicates (case-insensitively) dropped. When some word has ≥ 2 characters, the one-character words
 * are ignored (they would match nearly everything); otherwise the one-character words are the query.
 * Empty when every word normalised to nothing (a search with no results, not an error). Throws
 * ValidationError for a blank or oversized query.
 */
export function searchWords(q: string): string[] {
  if (q.trim() === '') throw new ValidationError('q must not be empty');
  if (characters(q) > SEARCH_LIMITS.maxQueryLength) {
    throw new ValidationError(`q must be at most ${SEARCH_LIMITS.maxQueryLength} characters`);
  }
  const seen = new Set<string>();
  const words: string[] = [];
  for (const word of q.split(/\s+/u).map(normaliseSearchText)) {
    const key = word.toLowerCase();
    if (word === '' || seen.has(key)) continue;
    seen.add(key);
    words.push(word);
  }
  const substrings = words.filter((word) => characters(word) >= SEARCH_LIMITS.minWordLength);
  const chosen = substrings.length > 0 ? substrings : words;
  if (chosen.length > SEARCH_LIMITS.maxWords) throw new ValidationError(`q must have at most ${SEARCH_LIMITS.maxWords} words`);
  return chosen;
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
  /** Per one-character query word that starts a word of the message. */
  wordStart: 100,
  /** Per query word found as a substring (scored only with `fuzzy`, where a word may match otherwise). */
  substring: 1,
} as const;

const constantScore = (filter: object, boost: number) => ({ constant_score: { filter, boost } });

/** The clause that decides whether a message contains a word: a phrase of bigrams, or one character. */
const containsWord = (word: string): object =>
  characters(word) >= SEARCH_LIMITS.minWordLength ? { match_phrase: { content: { query: word } } } : { match: { 'content.chars': { query: word } } };

/**
 * A word within one edit (insertion, deletion, substitution or transposition) of a word of the message.
 * `AUTO:4,…` gives one edit to each analysed term of ≥ 4 characters and none to shorter ones, so a
 * query word the word analyzer splits (`e-mail`) never tolerates an edit in a short part.
 */
const fuzzyWord = (word: string) => ({
  match: {
    'content.words': {
      query: word,
      operator: 'and',
      fuzziness: `AUTO:${SEARCH_LIMITS.minFuzzyWordLength},${SEARCH_LIMITS.maxQueryLength + 1}`,
      prefix_length: 0,
      max_expansions: SEARCH_LIMITS.fuzzyMaxExpansions,
      fuzzy_transpositions: true,
    },
  },
});

const isFuzzy = (word: string, fuzzy: boolean | undefined) => fuzzy === true && characters(word) >= SEARCH_LIMITS.minFuzzyWordLength;

const highlightField = (query: object, noMatchSize: number) => ({
  type: 'unified',
  fragment_size: SEARCH_LIMITS.highlightFragmentSize,
  number_of_fragments: SEARCH_LIMITS.highlightFragments,
  no_match_size: noMatchSize,
  highlight_query: query,
});

/**
 * The search body, or null when the query has no word left to search (all normalised to nothing: an
 * empty page). Scope and every word's match are filters (they decide *whether* a message matches);
 * constant-score tiers (RANK_TIERS) decide the order, then message number. A word of ≥ 2 characters
 * must occur as a substring (or, with `fuzzy`, a word one edit away); a one-character word must occur
 * anywhere. The text only ever reaches match / match_phrase queries, which analyse it as plain text:
 * no query syntax, no operators, no errors from odd characters.
 */
export function buildSearchQuery({ token, chatNumber, q, page, limit, fuzzy }: SearchRequest) {
  if (!Number.isInteger(page) || page < 1) throw new ValidationError('page must be a positive integer');
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('limit must be a positive integer');
  if (page * limit > SEARCH_LIMITS.maxResultWindow) {
    throw new ValidationError(`page × limit must be at most ${SEARCH_LIMITS.maxResultWindow}`);
  }
  const words = searchWords(q);
  if (words.length === 0) return null;

  const required = words.map((word) => (isFuzzy(word, fuzzy) ? { bool: { should: [containsWord(word), fuzzyWord(word)], minimum_should_match: 1 } } : containsWord(word)));
  const should: object[] = [];
  if (words.length > 1) should.push(constantScore({ match_phrase: { 'content.words': { query: words.join(' ') } } }, RANK_TIERS.phrase));
  for (const word of words) {
    should.push(constantScore({ match: { 'content.words': { query: word, operator: 'and' } } }, RANK_TIERS.exactWord));
    if (characters(word) < SEARCH_LIMITS.minWordLength) should.push(constantScore({ match: { 'content.initials': { query: word } } }, RANK_TIERS.wordStart));
    if (isFuzzy(word, fuzzy)) should.push(constantScore(containsWord(word), RANK_TIERS.substring));
  }

  const contains = { bool: { should: words.map(containsWord) } };
  const fuzzyWords = words.filter((word) => isFuzzy(word, fuzzy));
  // Highlights in order of preference (the adapter takes the first with a match): where the words
  // occur, then (fuzzy) the whole words within one edit. A message always gets a fragment.
  const highlightFields: Record<string, ReturnType<typeof highlightField>> = {
    [characters(words[0]!) >= SEARCH_LIMITS.minWordLength ? 'content' : 'content.chars']: highlightField(contains, SEARCH_LIMITS.highlightFragmentSize),
  };
  if (fuzzyWords.length > 0) highlightFields['content.words'] = highlightField({ bool: { should: fuzzyWords.map(fuzzyWord) } }, 0);

  return {
    from: (page - 1) * limit,
    size: limit,
    track_total_hits: true,
    _source: ['number', 'content', 'created_at', 'updated_at'],
    query: {
      bool: {
        filter: [{ term: { token } }, { term: { chat_number: chatNumber } }, ...required],
        should,
      },
    },
    sort: [{ _score: { order: 'desc' } }, { number: { order: 'asc' } }],
    highlight: {
      // Fragments are HTML-escaped, so a client can render them as HTML with only the <em> marks live.
      encoder: 'html',
      pre_tags: ['<em>'],
      post_tags: ['</em>'],
      fields: highlightFields,
    },
  };
}

/**
 * The fragments of the first highlighted field (in the body's order of preference) that marks a
 * match; otherwise the first field's unmarked fragment (no_match_size), otherwise none.
 */
export function pickHighlight(fields: readonly string[], highlight: Record<string, string[]> | undefined): string[] {
  const fragments = fields.map((field) => highlight?.[field] ?? []);
  return fragments.find((list) => list.some((fragment) => fragment.includes('<em>'))) ?? fragments[0] ?? [];
}

export type SearchQueryBody = NonNullable<ReturnType<typeof buildSearchQuery>>;

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
