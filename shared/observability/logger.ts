import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';

/** True on AWS Lambda itself (not under serverless-offline, the launcher or the tests). */
const onLambda = () => (process.env.AWS_EXECUTION_ENV ?? '').startsWith('AWS_Lambda_');

/**
 * Where Powertools writes off Lambda: the process's global console, looked up at each call, info on
 * console.log as before, so serverless-offline prints the lines and tests that watch the console see
 * them. On Lambda, Powertools keeps its own console, which writes bare JSON lines (the runtime's
 * console would prefix each with a timestamp and request id).
 */
const processConsole = {
  log: (...args: unknown[]) => console.log(...args),
  info: (...args: unknown[]) => console.log(...args),
  debug: (...args: unknown[]) => console.log(...args),
  trace: (...args: unknown[]) => console.log(...args),
  warn: (...args: unknown[]) => console.warn(...args),
  error: (...args: unknown[]) => console.error(...args),
};

/** Points a Powertools Logger or Metrics instance at the process console when not on Lambda. */
export function writeThroughProcessConsole<T extends object>(instance: T): T {
  if (!onLambda()) (instance as unknown as { console: typeof processConsole }).console = processConsole;
  return instance;
}

/** The one Powertools logger of the container: structured JSON with the Lambda context. */
export const logger = writeThroughProcessConsole(new Logger({ serviceName: 'chat-system' }));

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
