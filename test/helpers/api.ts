import { assertMatchesContract } from './openapi';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body, sent as is (for malformed JSON and wrong media types). */
  rawBody?: string;
  headers?: Record<string, string>;
  baseUrl?: string;
}

/** Calls the API under test over real HTTP; the body is parsed as JSON when it is JSON. */
export async function api<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const baseUrl = options.baseUrl ?? process.env.TEST_API_URL!;
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  // Every response any test sees must be one the OpenAPI document promises.
  assertMatchesContract(method, response.url, response.status, parsed);
  return { status: response.status, headers: response.headers, body: parsed as T };
}
