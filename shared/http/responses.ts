import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { AppError } from '../domain/errors';

export type HttpResponse = APIGatewayProxyResultV2 & { statusCode: number; body: string };

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export const ok = (body: unknown) => json(200, body);
export const created = (body: unknown) => json(201, body);
export const accepted = (body: unknown) => json(202, body);

/** The one place an error becomes a response body. */
export function errorResponse(error: AppError): HttpResponse {
  return json(error.status, { error: { code: error.code, message: error.message } }, error.headers);
}

export const INTERNAL_ERROR: HttpResponse = json(500, {
  error: { code: 'internal_error', message: 'an unexpected error occurred' },
});

/**
 * A response that is not JSON (the docs page and its assets). Binary bodies travel base64-encoded,
 * as API Gateway expects.
 */
export function content(body: string | Buffer, contentType: string, headers: Record<string, string> = {}): HttpResponse {
  const binary = Buffer.isBuffer(body);
  return {
    statusCode: 200,
    headers: { 'Content-Type': contentType, ...headers },
    body: binary ? body.toString('base64') : body,
    isBase64Encoded: binary,
  };
}
