import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { SEARCH_LIMITS } from './search';

extendZodWithOpenApi(z);

/**
 * One schema per payload and parameter set: the handlers validate with them and the OpenAPI
 * document is generated from them, so the two cannot drift. Limits are DESIGN §3's.
 */
export const LIMITS = {
  nameMaxLength: 255,
  contentMaxLength: 10_000,
  pageSizeMax: 100,
  pageSizeDefault: 20,
  maxNumber: 2 ** 31 - 1,
} as const;

/** Length in characters (code points), not UTF-16 units: an emoji counts once. */
const characters = (value: string) => [...value].length;

/**
 * Ill-formed UTF-16: a surrogate not part of a pair (JSON allows `"\ud800"`). It is no character, it
 * cannot be stored or sent as UTF-8 (it would come back as U+FFFD), so it is a 400, not silently replaced.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;
export const isWellFormed = (value: string) => !LONE_SURROGATE.test(value);

export const Token = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be an application token')
  .openapi({ description: 'The application token returned when the application was created', example: 'tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a' });

/** A positive integer path segment below 2^31, digits only (no signs, exponents, spaces). */
const PathNumber = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, `${what} must be a positive integer`)
    .transform(Number)
    .refine((n) => n <= LIMITS.maxNumber, `${what} must be below 2^31`)
    .openapi({ type: 'integer', minimum: 1, maximum: LIMITS.maxNumber, example: 1 });

export const AppPath = z.object({ token: Token });
export const ChatPath = AppPath.extend({ chatNumber: PathNumber('chat number') });
export const MessagePath = ChatPath.extend({ messageNumber: PathNumber('message number') });

/** Live updates: the WebSocket `$connect` query string, `?token=…&chat=N`. */
export const LiveConnectQuery = z.object({ token: Token, chat: PathNumber('chat') });

const QueryInteger = (what: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,10}$/, `${what} must be an integer`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${what} must be between ${min} and ${max}`)
    .optional()
    .transform((n) => n ?? fallback)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: fallback });

export const Paging = z.object({
  page: QueryInteger('page', 1, 1_000_000, 1),
  limit: QueryInteger('limit', 1, LIMITS.pageSizeMax, LIMITS.pageSizeDefault),
});
export type Paging = z.infer<typeof Paging>;

/** The search text: required, not blank, at most SEARCH_LIMITS.maxQueryLength characters. */
const SearchText = (name: string) =>
  z
    .string({ error: () => `${name} is required` })
    .refine((value) => value.trim().length > 0, `${name} must not be empty`)
    .refine((value) => characters(value) <= SEARCH_LIMITS.maxQueryLength, `${name} must be at most ${SEARCH_LIMITS.maxQueryLength} characters`)
    .openapi({
      minLength: 1,
      maxLength: SEARCH_LIMITS.maxQueryLength,
      description:
        'Literal text (no query syntax), split on white space; optional Arabic marks (harakat, tatweel) are ignored and a word\'s ' +
        `length is counted without them. Every word of at least ${SEARCH_LIMITS.minWordLength} characters must occur in the message as a ` +
        'substring, case-insensitively, in any script. A query with only one-character words (autocomplete from the first keystroke: a ' +
        'letter, digit, ideograph, emoji or punctuation such as ? # -) finds the messages containing each of those characters anywhere, ' +
        'words starting with it first; in a longer query one-character words are ignored. A query whose words are only optional marks ' +
        `answers an empty page. Ranking: the exact phrase, then whole words, then words starting with a one-character query, then ` +
        'substrings, then (fuzzy) one-edit matches; ties by message number. ' + `At most ${SEARCH_LIMITS.maxWords} words; ` +
        `results past the first ${SEARCH_LIMITS.maxResultWindow} (page × limit) come back as an empty page, with the total. Empty or missing → 400.`,
      example: 'liev',
    });

/** `fuzzy=true|false` (default false). */
const Fuzzy = z
  .enum(['true', 'false'], { error: () => 'fuzzy must be true or false' })
  .optional()
  .transform((value) => value === 'true')
  .openapi({
    type: 'boolean',
    default: false,
    description:
      `Typo tolerance: each word of at least ${SEARCH_LIMITS.minFuzzyWordLength} characters also matches a whole word of the message one edit away ` +
      '(one inserted, deleted or substituted character, or two adjacent ones swapped). Such matches rank below every exact match.',
  });

export const SearchQuery = Paging.extend({ q: SearchText('q'), fuzzy: Fuzzy });
export type SearchQuery = z.infer<typeof SearchQuery>;
/** The seed's name for the same search: `keyword` instead of `q`. */
export const AutocompleteQuery = Paging.extend({ keyword: SearchText('keyword'), fuzzy: Fuzzy });

const Name = z
  .string({ error: (issue) => (issue.input === undefined ? 'name is required' : 'name must be a string') })
  .refine(isWellFormed, 'name must be well-formed Unicode (no lone surrogate)')
  .trim()
  .min(1, 'name must not be empty')
  .max(LIMITS.nameMaxLength, `name must be at most ${LIMITS.nameMaxLength} characters`)
  // The document says what the code checks: at least one character that is not white space.
  .openapi({ example: 'instaBug', pattern: '\\S' });

export const AppBody = z.object({ name: Name }).openapi('AppBody');

export const Content = z
  .string({ error: (issue) => (issue.input === undefined ? 'content is required' : 'content must be a string') })
  .refine(isWellFormed, 'content must be well-formed Unicode (no lone surrogate)')
  .refine((value) => value.trim().length > 0, 'content must not be empty')
  .refine((value) => characters(value) <= LIMITS.contentMaxLength, `content must be at most ${LIMITS.contentMaxLength} characters`)
  .openapi({ minLength: 1, maxLength: LIMITS.contentMaxLength, pattern: '\\S', example: 'wassup!!!!' });

export const MessageBody = z.object({ content: Content }).openapi('MessageBody');

/** POST /chats takes no body, or an empty object. */
export const CreateChatBody = z.object({}).strict().openapi('CreateChatBody');

const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-25T14:18:49.123Z' });

export const App = z
  .object({ token: Token, name: z.string(), chats_count: z.number().int(), created_at: Timestamp, updated_at: Timestamp })
  .openapi('Application');
export type App = z.infer<typeof App>;

export const Chat = z
  .object({ number: z.number().int(), messages_count: z.number().int(), created_at: Timestamp, updated_at: Timestamp })
  .openapi('Chat');
export type Chat = z.infer<typeof Chat>;

export const Message = z
  .object({ number: z.number().int(), content: z.string(), created_at: Timestamp, updated_at: Timestamp })
  .openapi('Message');
export type Message = z.infer<typeof Message>;

export const Created = z.object({ number: z.number().int().min(1) }).openapi('Created');
export const Accepted = z.object({ number: z.number().int().min(1) }).openapi('Accepted');

const page = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ data: z.array(item), page: z.number().int(), limit: z.number().int() }).openapi(name);

export const ChatPage = page(Chat, 'ChatPage');
export const MessagePage = page(Message, 'MessagePage');

export const SearchHit = Message.extend({
  highlight: z.array(z.string()).openapi({ description: 'HTML-escaped fragments of content with each match in <em>…</em>' }),
}).openapi('SearchHit');
export const SearchPage = z
  .object({ data: z.array(SearchHit), page: z.number().int(), limit: z.number().int(), total: z.number().int().min(0) })
  .openapi('SearchPage');

export const ErrorBody = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'validation_error' }), message: z.string() }) })
  .openapi('Error');
