// Local stages run each function's TypeScript module from source inside serverless-offline's
// process (registered by infra/local/source-runtime-plugin.js): no esbuild bundle, no work folder.
import { join } from 'node:path';
import { describeError, log } from '../../shared/http/log';
import { INTERNAL_ERROR } from '../../shared/http/responses';
import { ROOT } from './environment';

export type LambdaHandler = (event: unknown, context: unknown, callback?: unknown) => unknown;

/** One function of serverless.yml: its key, its handler string as written there, whether API Gateway calls it. */
export interface SourceFunction {
  key: string;
  handler: string;
  http: boolean;
}

/** Loads a module by absolute path without extension (tsx resolves `.ts` in serverless-offline, jest in tests). */
export type ModuleLoader = (path: string) => Record<string, unknown>;

// A synchronous CommonJS require, as the bundle's own module format (esbuild emits CommonJS here).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireSource: ModuleLoader = (path) => require(path) as Record<string, unknown>;

/**
 * `functions/http/apps.create` → the module `functions/http/apps` and the export path `create`, split
 * as the Lambda runtime splits it (at the first dot of the file name).
 */
export function splitHandler(handler: string): { module: string; exportPath: string[] } {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot < 0 || dot === handler.length - 1) throw new Error(`malformed handler "${handler}"`);
  return { module: handler.slice(0, dot), exportPath: handler.slice(dot + 1).split('.') };
}

/** A function's handler as serverless-offline calls it, and its module load, callable ahead of the first call. */
export interface LocalHandler extends LambdaHandler {
  /** Loads the module now; false (and logged) when it cannot be loaded. */
  load(): boolean;
}

/**
 * The handler serverless-offline calls for one function: it calls the export of the function's module,
 * loaded by `load()` when the API starts (AWS runs a module's initialisation before, and outside, the
 * invocation's timeout) or else on the first invocation. A module that cannot be loaded is logged; an
 * HTTP function then answers 500 with the API's error body, because serverless-offline would turn the
 * thrown error into a 200 carrying `errorMessage` for an HTTP API. Other functions rethrow, so their
 * invocation fails as on AWS. A failed load is tried again on the next invocation.
 */
export function sourceHandler({ key, handler, http }: SourceFunction, loadModule: ModuleLoader = requireSource): LocalHandler {
  let loaded: LambdaHandler | undefined;
  let loadError: unknown;
  const load = (): boolean => {
    if (loaded) return true;
    try {
      const { module, exportPath } = splitHandler(handler);
      const exported = exportPath.reduce<unknown>((value, name) => (value as Record<string, unknown> | undefined)?.[name], loadModule(join(ROOT, module)));
      if (typeof exported !== 'function') throw new Error(`${handler} is not an exported function`);
      loaded = exported as LambdaHandler;
      return true;
    } catch (error) {
      loadError = error;
      log('error', 'the function could not be loaded', { function: key, handler, ...describeError(error) });
      return false;
    }
  };
  const invoke = async (event: unknown, context: unknown, callback?: unknown) => {
    if (!load()) {
      if (http) return INTERNAL_ERROR;
      throw loadError;
    }
    return loaded!(event, context, callback);
  };
  return Object.assign(invoke, { load });
}

/** The handlers serverless-offline resolves through infra/local/source-handlers.js, by function key. */
export const sourceHandlers: Record<string, LocalHandler> = {};

export function defineSourceHandler(fn: SourceFunction, load?: ModuleLoader): void {
  sourceHandlers[fn.key] = sourceHandler(fn, load);
}

/**
 * Loads every defined function's module, each with its environment in process.env as serverless-offline
 * sets it for an invocation of that function.
 */
export function loadSourceHandlers(environmentOf: (key: string) => Record<string, string>): { loaded: number; failed: number } {
  let loaded = 0;
  for (const [key, handler] of Object.entries(sourceHandlers)) {
    Object.assign(process.env, environmentOf(key));
    if (handler.load()) loaded++;
  }
  return { loaded, failed: Object.keys(sourceHandlers).length - loaded };
}
