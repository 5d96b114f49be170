import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { DOCS_ASSET_NAMES } from './docs-page';
import {
  Accepted,
  App,
  AutocompleteQuery,
  AppBody,
  AppPath,
  Chat,
  ChatPage,
  ChatPath,
  Created,
  ErrorBody,
  Message,
  MessageBody,
  MessagePage,
  MessagePath,
  Paging,
  SearchPage,
  SearchQuery,
} from '../domain/schemas';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

const errors = {
  400: json(ErrorBody, 'Invalid input: missing, empty or oversized fields, bad numbers or paging, malformed JSON'),
  404: json(ErrorBody, 'Unknown application token, chat or message'),
  413: json(ErrorBody, 'Request body over 128 KiB (131,072 bytes) of JSON'),
  415: json(ErrorBody, 'Request body is not application/json'),
  500: json(ErrorBody, 'Unexpected error (logged with the request id)'),
  503: {
    ...json(ErrorBody, 'A dependency is down; retry after the Retry-After header'),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const, minimum: 1 } } },
  },
};
const readErrors = { 400: errors[400], 404: errors[404], 500: errors[500], 503: errors[503] };
const writeErrors = errors;

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const, minimum: 1 } } };

/**
 * The rate limit (README "Failure behaviour"): the creating POSTs with a token, and every request
 * whose chat or message Redis does not know (edits, search), before MySQL is asked.
 */
const rateLimited = {
  429: {
    ...json(ErrorBody, "The application's request rate (creates, and requests that name an unknown chat or message) or the global rate of such lookups is exceeded (rate_limited); retry after Retry-After"),
    headers: retryAfter,
  },
};

/** The creating POSTs: Idempotency-Key (README "Failure behaviour") and, with a token, the rate limit. */
const keyErrors = {
  409: { ...json(ErrorBody, 'A request with this Idempotency-Key is still being enqueued (idempotency_key_in_flight); retry after Retry-After'), headers: retryAfter },
  422: json(ErrorBody, 'This Idempotency-Key was used with a different request (idempotency_key_reused)'),
};
const createErrors = { ...writeErrors, ...keyErrors, ...rateLimited };

/** The header's grammar, as shared/http/parse.ts enforces it (global keys: a UUID). */
const KEY_PATTERNS = {
  scoped: '^[\\x21-\\x7e]{1,255}$',
  global: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
};

const idempotencyKey = (description: string, scope: keyof typeof KEY_PATTERNS = 'scoped') =>
  z.object({
    'Idempotency-Key': z
      .string()
      .optional()
      .openapi({
        pattern: KEY_PATTERNS[scope],
        minLength: scope === 'global' ? 36 : 1,
        maxLength: scope === 'global' ? 36 : 255,
        param: { name: 'Idempotency-Key', in: 'header' },
        description:
          `${description} Kept 24 h: the same key with the same request answers the same status and number and creates one record; ` +
          'with another request, 422; while the first is still being enqueued, 409 + Retry-After.',
        example: '4f7d3c1e-2b8a-4e57-9a3b-7c1d2e3f4a5b',
      }),
  });

const HealthReport = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    dependencies: z.record(z.string(), z.object({ status: z.enum(['up', 'down']), latency_ms: z.number() }).strict()),
    sqs_backend: z
      .enum(['elasticmq', 'localstack'])
      .optional()
      .openapi({ description: 'Local stages only: the SQS-compatible server in use' }),
  })
  .strict()
  .openapi('HealthReport');

/** Every route of DESIGN §2 with its schemas; new routes register here too. */
export const routes: RouteConfig[] = [
  {
    method: 'get',
    path: '/api/v1/health',
    operationId: 'getHealth',
    summary: 'Status and latency of every dependency (error details go to the log, never to this answer)',
    responses: { 200: json(HealthReport, 'All dependencies up'), 503: json(HealthReport, 'At least one dependency down') },
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document',
    responses: { 200: json(z.object({ openapi: z.string() }).passthrough(), 'The OpenAPI 3.1 document') },
  },
  {
    method: 'get',
    path: '/api/v1/docs',
    summary: 'This document as an interactive page (Swagger UI, served by the API itself)',
    responses: { 200: { description: 'The HTML page; it loads its assets from /api/v1/docs/{asset}', content: { 'text/html': { schema: z.string() } } } },
  },
  {
    method: 'get',
    path: '/api/v1/docs/{asset}',
    summary: "The docs page's assets (Swagger UI from npm, no CDN)",
    request: { params: z.object({ asset: z.enum(DOCS_ASSET_NAMES as [string, ...string[]]) }) },
    responses: {
      200: { description: 'The asset (gzip-encoded when the client accepts it)', content: { 'text/css': { schema: z.string() }, 'text/javascript': { schema: z.string() }, 'image/png': { schema: z.string() } } },
      404: errors[404],
    },
  },
  {
    method: 'post',
    path: '/api/v1/apps',
    operationId: 'createApp',
    summary: 'Create an application',
    request: {
      headers: idempotencyKey('Optional. Global (there is no token yet), so it must be a UUID (≥ 122 random bits).', 'global'),
      body: { content: { 'application/json': { schema: AppBody } }, required: true },
    },
    responses: { 201: json(App, 'Created'), ...writeErrors, ...keyErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}',
    operationId: 'getApp',
    summary: 'Get an application',
    request: { params: AppPath },
    responses: { 200: json(App, 'The application'), ...readErrors },
  },
  {
    method: 'put',
    path: '/api/v1/apps/{token}',
    operationId: 'updateApp',
    summary: 'Rename an application',
    request: { params: AppPath, body: { content: { 'application/json': { schema: AppBody } }, required: true } },
    responses: { 200: json(App, 'Updated'), ...writeErrors },
  },
  {
    method: 'post',
    path: '/api/v1/apps/{token}/chats',
    operationId: 'createChat',
    summary: 'Create a chat; returns its number (persisted asynchronously)',
    request: { params: AppPath, headers: idempotencyKey('Optional, per application token: 1–255 visible ASCII characters (a UUID is best).') },
    responses: { 201: json(Created, 'The new chat number'), ...createErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats',
    operationId: 'listChats',
    summary: "List an application's chats by number",
    request: { params: AppPath, query: Paging },
    responses: { 200: json(ChatPage, 'A page of chats'), ...readErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}',
    operationId: 'getChat',
    summary: 'Get a chat',
    request: { params: ChatPath },
    responses: { 200: json(Chat, 'The chat'), ...readErrors },
  },
  {
    method: 'post',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages',
    operationId: 'createMessage',
    summary: 'Create a message; returns its number (persisted and indexed asynchronously)',
    request: {
      params: ChatPath,
      headers: idempotencyKey('Optional, per application token: 1–255 visible ASCII characters (a UUID is best).'),
      body: { content: { 'application/json': { schema: MessageBody } }, required: true },
    },
    responses: { 201: json(Created, 'The new message number'), ...createErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages',
    operationId: 'listMessages',
    summary: "List a chat's messages by number",
    request: { params: ChatPath, query: Paging },
    responses: { 200: json(MessagePage, 'A page of messages'), ...readErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/{messageNumber}',
    operationId: 'getMessage',
    summary: 'Get a message',
    request: { params: MessagePath },
    responses: { 200: json(Message, 'The message'), ...readErrors },
  },
  {
    method: 'put',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/{messageNumber}',
    operationId: 'updateMessage',
    summary: "Edit a message's content; applied and re-indexed asynchronously (the latest edit wins)",
    request: { params: MessagePath, body: { content: { 'application/json': { schema: MessageBody } }, required: true } },
    responses: { 202: json(Accepted, 'The edit is accepted; GET shows it once applied'), ...writeErrors, ...rateLimited },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/search',
    operationId: 'searchMessages',
    summary: "Search a chat's messages: every word of the query as a substring, literal text, exact words first",
    request: { params: ChatPath, query: SearchQuery },
    responses: { 200: json(SearchPage, 'A page of matching messages with highlights and the total'), ...readErrors, ...rateLimited },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/autocomplete',
    operationId: 'autocompleteMessages',
    summary: 'The same search under the seed\'s name, with `keyword` for `q`',
    request: { params: ChatPath, query: AutocompleteQuery },
    responses: { 200: json(SearchPage, 'A page of matching messages with highlights and the total'), ...readErrors, ...rateLimited },
  },
];

/**
 * OpenAPI links from each create to the operations its answer opens (schemathesis' stateful phase,
 * client generators): the new token to every `{token}` operation, the new chat number to every
 * `{chatNumber}` one, the new message number to every `{messageNumber}` one.
 */
function withLinks(all: RouteConfig[]): RouteConfig[] {
  const creates: Record<string, { parameter: string; from: string }> = {
    createApp: { parameter: 'token', from: '$response.body#/token' },
    createChat: { parameter: 'chatNumber', from: '$response.body#/number' },
    createMessage: { parameter: 'messageNumber', from: '$response.body#/number' },
  };
  return all.map((route) => {
    const create = route.operationId ? creates[route.operationId] : undefined;
    if (!create) return route;
    const links: Record<string, { operationId: string; parameters: Record<string, string> }> = {};
    for (const target of all) {
      if (!target.operationId || target === route || !target.path.includes(`{${create.parameter}}`)) continue;
      // Parameters the create itself was addressed by come from its request path; a target needing
      // any other (a message number, from a chat's create) is not reachable from this answer.
      const names = [...target.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => name!);
      if (!names.every((name) => name === create.parameter || route.path.includes(`{${name}}`))) continue;
      const parameters = Object.fromEntries(names.map((name) => [name, name === create.parameter ? create.from : `$request.path.${name}`]));
      links[target.operationId] = { operationId: target.operationId, parameters };
    }
    const created = route.responses[201]!;
    return { ...route, responses: { ...route.responses, 201: { ...created, links } } };
  });
}

/** A path template as a regular expression: each `{param}` is one non-empty segment. */
const templatePattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
const literalSegments = (path: string) => path.split('/').filter((segment) => segment && !segment.startsWith('{')).length;

/**
 * The methods the route of this path accepts (upper case), as the gateway routes it: the matching
 * template with the most literal segments wins (`…/messages/search` over `…/messages/{messageNumber}`).
 * Empty when no route has this path.
 */
export function allowedMethods(path: string): string[] {
  const matching = routes.filter((route) => templatePattern(route.path).test(path));
  if (matching.length === 0) return [];
  const best = Math.max(...matching.map((route) => literalSegments(route.path)));
  const methods = matching.filter((route) => literalSegments(route.path) === best).map((route) => route.method.toUpperCase());
  return [...new Set(methods)].sort();
}

/** The OpenAPI 3.1 document of the API, generated from the same zod schemas the handlers use. */
export function openApiDocument(extraRoutes: RouteConfig[] = []) {
  const registry = new OpenAPIRegistry();
  for (const route of withLinks([...routes, ...extraRoutes])) registry.registerPath(route);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Chat system API',
      version: '1.0.0',
      description:
        'Applications (by token), numbered chats and messages. Creates return a number at once and persist asynchronously. ' +
        'Limits: name 1–255 characters after trimming, content 1–10,000 characters, limit 1–100 (default 20), page ≥ 1, ' +
        'path numbers positive integers below 2^31, request body ≤ 128 KiB of JSON (enough for a 10,000-character message in any JSON encoding, even every character escaped as a `\\uXXXX` surrogate pair).\n\n' +
        '**Live updates (WebSocket API).** Connect to the WebSocket API with `?token=TOKEN&chat=N` ' +
        '(locally `ws://127.0.0.1:3001`, the HTTP port + 1; on AWS the `wss://…/STAGE` URL of the stack). ' +
        'An unknown token or chat refuses the connection (404; 400 for a malformed one). After each batch of the chat\'s ' +
        'messages is persisted, the connection receives one frame: a JSON array of events in number order, each ' +
        '`{"type":"message.created"|"message.updated","chat_number","number","content","created_at","updated_at"}`. ' +
        'Send `{"action":"ping"}` to get `{"type":"pong"}` and stay subscribed (idle connections close after 10 minutes). ' +
        'Pushes are a convenience: after a reconnect, read what you missed over HTTP.',
    },
    servers: [{ url: '/' }],
  });
}
