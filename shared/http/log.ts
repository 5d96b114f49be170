import { currentCorrelationId, logger } from '../observability/logger';

/**
 * One structured JSON line per event (Powertools Logger: level, message, timestamp, service, the
 * Lambda context), with the correlation id of the request or record being worked on.
 */
export function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const correlationId = currentCorrelationId();
  logger[level](message, correlationId ? { correlation_id: correlationId, ...fields } : fields);
}

export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: error.name, detail: error.message, stack: error.stack };
  return { error: String(error) };
}
