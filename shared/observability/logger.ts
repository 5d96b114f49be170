import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';

/** The one Powertools logger of the container: structured JSON with the Lambda context. */
export const logger = new Logger({ serviceName: 'chat-system' });

/**
 * The correlation id of the work in progress: API Gateway's request id on the HTTP path, carried in
 * each queue record to the consumer. Held per invocation in AsyncLocalStorage, not on the shared
 * logger, so concurrent invocations in one process (serverless-offline in-process) never mix ids.
 */
const correlation = new AsyncLocalStorage<string>();

export function withCorrelationId<T>(correlationId: string | undefined, run: () => T): T {
  return correlationId ? correlation.run(correlationId, run) : run();
}

export function currentCorrelationId(): string | undefined {
  return correlation.getStore();
}

/** Lambda context (function name, request id, cold start) on every line of this invocation. */
export function addLambdaContext(context: Context | undefined): void {
  // Local callers (tests, the launcher) pass partial contexts; Powertools needs the real shape.
  if (context?.functionName) logger.addContext(context);
}
