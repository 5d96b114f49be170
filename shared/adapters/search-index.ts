import { createHash } from 'node:crypto';
import { errors, type Client } from '@opensearch-project/opensearch';
import { config } from '../config';
import { opensearchClient } from './opensearch';
import { guarded, ServiceUnavailable } from '../domain/errors';
import {
  buildSearchQuery,
  chatRouting,
  messagesAlias,
  messagesIndexDefinition,
  messagesIndexName,
  messageWrite,
  MESSAGES_INDEX_VERSION,
  pickHighlight,
  type MessageDocument,
  type MessageHit,
  type SearchableMessage,
  type SearchRequest,
  type SearchResult,
} from '../domain/search';

/** Which cluster and which stage's names. Production code takes the default; tests and the launcher pass their own. */
export interface SearchTarget {
  client: Client;
  /** config().opensearch.indexPrefix, e.g. `test_`: every stage has its own alias and indices. */
  prefix: string;
}

export function defaultSearchTarget(): SearchTarget {
  return { client: opensearchClient(), prefix: config().opensearch.indexPrefix };
}

// ---------------------------------------------------------------------------------------------------
// Errors: "OpenSearch cannot answer now" (retry later: 503 for a request, a retried record for a
// consumer) is a ServiceUnavailable; anything else (a 400 from a malformed request) is a bug and is
// rethrown as it is.

/** Unreachable, silent, throttling (429) or failing on its side (5xx): an outage. Other 4xx: a bug. */
export function isSearchUnavailable(error: unknown): boolean {
  if (error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError || error instanceof errors.TimeoutError) {
    return true;
  }
  return error instanceof errors.ResponseError && (error.statusCode === 429 || (error.statusCode ?? 0) >= 500);
}

const call = <T>(request: () => Promise<T>): Promise<T> => guarded('search', request, isSearchUnavailable);

const errorType = (error: unknown): string | undefined =>
  error instanceof errors.ResponseError ? (error.body as { error?: { type?: string } } | undefined)?.error?.type : undefined;

// ---------------------------------------------------------------------------------------------------
// The index behind the alias

/** A short fingerprint of the definition in code, stored in the index's mapping `_meta`. */
export const messagesDefinitionHash = createHash('sha256').update(JSON.stringify(messagesIndexDefinition)).digest('hex').slice(0, 16);

function indexBody(): Record<string, unknown> {
  const { settings, mappings } = messagesIndexDefinition;
  return { settings, mappings: { ...mappings, _meta: { definition: messagesDefinitionHash } } };
}

export interface AliasMember {
  index: string;
  version: number;
  isWriteIndex: boolean;
  /** An alias filter on this member (the reindex hides the index being built from searches with one). */
  filtered: boolean;
}

const INDEX_VERSION = /_v(\d+)$/;

/** The indices behind the alias, oldest first; empty when the alias does not exist. */
export async function messagesAliasMembers(target: SearchTarget = defaultSearchTarget()): Promise<AliasMember[]> {
  const name = messagesAlias(target.prefix);
  const { body, statusCode } = await call(() => target.client.indices.getAlias({ name }, { ignore: [404] }));
  if (statusCode === 404) return [];
  const entries = body as unknown as Record<string, { aliases: Record<string, { is_write_index?: boolean; filter?: unknown }> }>;
  return Object.entries(entries)
    .map(([index, { aliases }]) => ({
      index,
      version: Number(INDEX_VERSION.exec(index)?.[1] ?? 0),
      isWriteIndex: aliases[name]?.is_write_index === true,
      filtered: aliases[name]?.filter !== undefined,
    }))
    .sort((a, b) => a.version - b.version);
}

export interface EnsureResult {
  /** The index searches read. */
  index: string;
  created: boolean;
  /** False when the live index was built from another definition: run the reindex to apply this one. */
  upToDate: boolean;
}

/**
 * Creates `messages_v{MESSAGES_INDEX_VERSION}` behind the alias (as its write index) unless the alias
 * already exists (a stage on an older definition reports `upToDate: false`: the reindex moves it).
 * Idempotent and safe under concurrent callers: index creation is atomic, so one caller creates it
 * with its alias and the others see `resource_already_exists_exception`, which means done.
 */
export async function ensureMessagesIndex(target: SearchTarget = defaultSearchTarget()): Promise<EnsureResult> {
  let members = await messagesAliasMembers(target);
  let created = false;
  if (members.length === 0) {
    const index = messagesIndexName(target.prefix, MESSAGES_INDEX_VERSION);
    const body = { ...indexBody(), aliases: { [messagesAlias(target.prefix)]: { is_write_index: true } } };
    try {
      await call(() => target.client.indices.create({ index, body: body as never }));
      created = true;
    } catch (error) {
      if (errorType(error) !== 'resource_already_exists_exception') throw error;
    }
    members = await messagesAliasMembers(target);
    if (members.length === 0) {
      throw new Error(`${index} exists without the alias ${messagesAlias(target.prefix)}; add the alias or delete the index`);
    }
  }
  const readIndex = members.find((member) => !member.filtered) ?? members[0]!;
  const { body } = await call(() => target.client.indices.getMapping({ index: readIndex.index }));
  const mapping = (body as unknown as Record<string, { mappings?: { _meta?: { definition?: string } } }>)[readIndex.index];
  return { index: readIndex.index, created, upToDate: mapping?.mappings?._meta?.definition === messagesDefinitionHash };
}

/** Creates an index from the definition in code, without alias. Bulk-load settings are the caller's. */
export async function createMessagesIndex(index: string, settings: Record<string, unknown>, target: SearchTarget = defaultSearchTarget()): Promise<void> {
  const body = indexBody() as { settings: { index: Record<string, unknown> } };
  await call(() =>
    target.client.indices.create({ index, body: { ...body, settings: { ...body.settings, index: { ...body.settings.index, ...settings } } } as never }),
  );
}

/** Versions of every `messages_vN` index of the stage, behind the alias or not (a failed reindex can leave one). */
export async function messagesIndexVersions(target: SearchTarget = defaultSearchTarget()): Promise<number[]> {
  const { body } = await call(() => target.client.indices.get({ index: `${target.prefix}messages_v*`, expand_wildcards: ['open', 'closed'] }));
  return Object.keys(body)
    .map((index) => Number(INDEX_VERSION.exec(index)?.[1]))
    .filter((version) => Number.isInteger(version))
    .sort((a, b) => a - b);
}

export type AliasAction =
  | { add: { index: string; is_write_index: boolean; filter?: object } }
  | { remove: { index: string } };

/** Applies alias changes in ONE `_aliases` call: OpenSearch applies them atomically. */
export async function updateMessagesAlias(actions: AliasAction[], target: SearchTarget = defaultSearchTarget()): Promise<void> {
  const alias = messagesAlias(target.prefix);
  const body = { actions: actions.map((action) => ('add' in action ? { add: { ...action.add, alias } } : { remove: { ...action.remove, alias } })) };
  await call(() => target.client.indices.updateAliases({ body: body as never }));
}

export async function putIndexSettings(index: string, settings: Record<string, unknown>, target: SearchTarget = defaultSearchTarget()): Promise<void> {
  await call(() => target.client.indices.putSettings({ index, body: { index: settings } as never }));
}

export async function deleteIndices(indices: string[], target: SearchTarget = defaultSearchTarget()): Promise<void> {
  if (indices.length === 0) return;
  await call(() => target.client.indices.delete({ index: indices.join(',') }, { ignore: [404] }));
}

/** Makes a chat's writes visible to searches now (tests and the reindex; never the request path). */
export async function refreshMessagesIndex(target: SearchTarget = defaultSearchTarget(), index = messagesAlias(target.prefix)): Promise<void> {
  await call(() => target.client.indices.refresh({ index }));
}

// ---------------------------------------------------------------------------------------------------
// Writes

export type IndexOutcome =
  | { ok: true; result: 'created' | 'updated' | 'stale' }
  | { ok: false; status: number; reason: string; retryable: boolean };

interface BulkItem {
  status: number;
  result?: string;
  error?: { type?: string; reason?: string };
}

function outcome(item: BulkItem | undefined): IndexOutcome {
  if (!item) return { ok: false, status: 0, reason: 'no result for this item in the bulk response', retryable: true };
  if (item.status === 200 || item.status === 201) return { ok: true, result: item.status === 201 ? 'created' : 'updated' };
  // external_gte: the index already holds a newer version of this message; the newer one stays.
  if (item.status === 409 && item.error?.type === 'version_conflict_engine_exception') return { ok: true, result: 'stale' };
  return {
    ok: false,
    status: item.status,
    reason: `${item.error?.type ?? 'error'}: ${item.error?.reason ?? `status ${item.status}`}`,
    retryable: item.status === 429 || item.status >= 500,
  };
}

/**
 * Writes messages in ONE `_bulk` request and returns one outcome per message, in input order. Each
 * document is written with its id and chat routing and with `version_type: external_gte` on its
 * `updated_at`, so re-delivery is idempotent and an older state never overwrites a newer one (that
 * 409 is reported as `{ ok: true, result: 'stale' }`). Writes go to the alias's write index by default
 * (`require_alias`: a missing alias fails the items instead of auto-creating an unmapped index).
 * Throws ServiceUnavailable when OpenSearch cannot be reached.
 */
export async function indexMessages(messages: SearchableMessage[], target: SearchTarget = defaultSearchTarget(), index?: string): Promise<IndexOutcome[]> {
  if (messages.length === 0) return [];
  const body: object[] = [];
  for (const message of messages) {
    const write = messageWrite(message);
    body.push({ index: { _id: write.id, routing: write.routing, version: write.version, version_type: 'external_gte' } }, write.document);
  }
  const { body: response } = await call(() =>
    target.client.bulk(index === undefined ? { index: messagesAlias(target.prefix), require_alias: true, body } : { index, body }),
  );
  const items = (response.items ?? []) as { index?: BulkItem }[];
  return messages.map((_, i) => outcome(items[i]?.index));
}

// ---------------------------------------------------------------------------------------------------
// Search

interface SearchResponseBody {
  _shards?: { total: number; failed: number; failures?: unknown[] };
  hits: {
    total: { value: number } | number;
    hits: { _source: Pick<MessageDocument, 'number' | 'content' | 'created_at' | 'updated_at'>; highlight?: Record<string, string[]> }[];
  };
}

/** Raised inside searchMessages for an answer that must not be trusted as complete; retried once. */
class IncompleteSearch extends Error {}

/**
 * Searches one chat's messages (DESIGN §3, rules in buildSearchQuery and docs/search.md). A query whose
 * words all normalise to nothing is an empty page without a request. Throws ValidationError for a blank
 * or oversized query, ServiceUnavailable when OpenSearch cannot answer (or answers for only some
 * shards: a partial result would be a silently wrong `total`).
 */
export async function searchMessages(request: SearchRequest, target: SearchTarget = defaultSearchTarget()): Promise<SearchResult> {
  const body = buildSearchQuery(request);
  if (body === null) return { hits: [], total: 0 };
  const highlightFields = Object.keys(body.highlight.fields);
  const attempt = async (): Promise<SearchResult> => {
    const { body: response } = await call(() =>
      target.client.search({ index: messagesAlias(target.prefix), routing: chatRouting(request.token, request.chatNumber), body: body as never }),
    );
    const result = response as unknown as SearchResponseBody;
    if ((result._shards?.failed ?? 0) > 0) throw new IncompleteSearch(`${result._shards!.failed} of ${result._shards!.total} shards failed`);
    const total = typeof result.hits.total === 'number' ? result.hits.total : result.hits.total.value;
    const hits: MessageHit[] = result.hits.hits.map(({ _source, highlight }) => ({
      number: _source.number,
      content: _source.content,
      created_at: _source.created_at,
      updated_at: _source.updated_at,
      highlight: pickHighlight(highlightFields, highlight),
    }));
    return { hits, total };
  };
  try {
    return await attempt();
  } catch (error) {
    // A search that resolved the alias just before a reindex swapped it and deleted the old index
    // finds that index gone (or its shard closing); asking again resolves the alias afresh.
    if (!(error instanceof IncompleteSearch) && errorType(error) !== 'index_not_found_exception') throw error;
    try {
      return await attempt();
    } catch (retryError) {
      if (retryError instanceof IncompleteSearch) throw new ServiceUnavailable('search', retryError);
      throw retryError;
    }
  }
}
