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
  413: json(ErrorBody, 'Request body over 64 KiB'),
  415: json(ErrorBody, 'Request body is not application/json'),
  500: json(ErrorBody, 'Unexpected error (logged with the request id)'),
  503: {
    ...json(ErrorBody, 'A dependency is down; retry after the Retry-After header'),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' as const, minimum: 1 } } },
  },
};
const readErrors = { 400: errors[400], 404: errors[404], 500: errors[500], 503: errors[503] };
const writeErrors = errors;

const HealthReport = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    dependencies: z.record(
      z.string(),
      z.object({ status: z.enum(['up', 'down']), latency_ms: z.number(), error: z.string().optional() }),
    ),
  })
  .openapi('HealthReport');

/** Every route of DESIGN §2 with its schemas; new routes register here too. */
export const routes: RouteConfig[] = [
  {
    method: 'get',
    path: '/api/v1/health',
    summary: 'Status and latency of every dependency',
    responses: { 200: json(HealthReport, 'All dependencies up'), 503: json(HealthReport, 'At least one dependency down') },
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
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
    summary: 'Create an application',
    request: { body: { content: { 'application/json': { schema: AppBody } }, required: true } },
    responses: { 201: json(App, 'Created'), ...writeErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}',
    summary: 'Get an application',
    request: { params: AppPath },
    responses: { 200: json(App, 'The application'), ...readErrors },
  },
  {
    method: 'put',
    path: '/api/v1/apps/{token}',
    summary: 'Rename an application',
    request: { params: AppPath, body: { content: { 'application/json': { schema: AppBody } }, required: true } },
    responses: { 200: json(App, 'Updated'), ...writeErrors },
  },
  {
    method: 'post',
    path: '/api/v1/apps/{token}/chats',
    summary: 'Create a chat; returns its number (persisted asynchronously)',
    request: { params: AppPath },
    responses: { 201: json(Created, 'The new chat number'), ...writeErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats',
    summary: "List an application's chats by number",
    request: { params: AppPath, query: Paging },
    responses: { 200: json(ChatPage, 'A page of chats'), ...readErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}',
    summary: 'Get a chat',
    request: { params: ChatPath },
    responses: { 200: json(Chat, 'The chat'), ...readErrors },
  },
  {
    method: 'post',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages',
    summary: 'Create a message; returns its number (persisted and indexed asynchronously)',
    request: { params: ChatPath, body: { content: { 'application/json': { schema: MessageBody } }, required: true } },
    responses: { 201: json(Created, 'The new message number'), ...writeErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages',
    summary: "List a chat's messages by number",
    request: { params: ChatPath, query: Paging },
    responses: { 200: json(MessagePage, 'A page of messages'), ...readErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/{messageNumber}',
    summary: 'Get a message',
    request: { params: MessagePath },
    responses: { 200: json(Message, 'The message'), ...readErrors },
  },
  {
    method: 'put',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/{messageNumber}',
    summary: "Edit a message's content; applied and re-indexed asynchronously (the latest edit wins)",
    request: { params: MessagePath, body: { content: { 'application/json': { schema: MessageBody } }, required: true } },
    responses: { 202: json(Accepted, 'The edit is accepted; GET shows it once applied'), ...writeErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/search',
    summary: "Search a chat's messages: every word of the query as a substring, literal text, exact words first",
    request: { params: ChatPath, query: SearchQuery },
    responses: { 200: json(SearchPage, 'A page of matching messages with highlights and the total'), ...readErrors },
  },
  {
    method: 'get',
    path: '/api/v1/apps/{token}/chats/{chatNumber}/messages/autocomplete',
    summary: 'The same search under the seed\'s name, with `keyword` for `q`',
    request: { params: ChatPath, query: AutocompleteQuery },
    responses: { 200: json(SearchPage, 'A page of matching messages with highlights and the total'), ...readErrors },
  },
];

/** The OpenAPI 3.1 document of the API, generated from the same zod schemas the handlers use. */
export function openApiDocument(extraRoutes: RouteConfig[] = []) {
  const registry = new OpenAPIRegistry();
  for (const route of [...routes, ...extraRoutes]) registry.registerPath(route);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Chat system API',
      version: '1.0.0',
      description:
        'Applications (by token), numbered chats and messages. Creates return a number at once and persist asynchronously. ' +
        'Limits: name 1–255 characters after trimming, content 1–10,000 characters, limit 1–100 (default 20), page ≥ 1, ' +
        'path numbers positive integers below 2^31, request body ≤ 64 KiB.\n\n' +
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
