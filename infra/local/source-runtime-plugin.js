'use strict';
// serverless-esbuild, except under `sls offline` on a local stage (local, test): there serverless-offline
// runs every function's TypeScript module from source, in its own process, through tsx
// (infra/local/source-runtime.ts), and serverless-esbuild is not even loaded. Why:
// - its bundles lived in the work folder that `sls package` cleans and rewrites, so packaging broke a
//   running API (issue 14); from source, a running API uses no build output at all;
// - bundling every function at each start, then watching, took most of the start time and 2.5-5 GB,
//   and loading serverless-esbuild alone costs about a second of CPU (issue 10).
// Every other command (`sls package`, `sls deploy`, ...) gets serverless-esbuild itself, unchanged:
// the deployed packages stay one esbuild bundle per function.
const { isLocalStage } = require('../resources.js');

/** The module every local function's handler points to; it exports one handler per function key. */
const SOURCE_HANDLERS = 'infra/local/source-handlers';

const runsFromSource = (serverless) =>
  serverless.processedInput.commands[0] === 'offline' && isLocalStage(serverless.getProvider('aws').getStage());

class LocalSourceRuntime {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.log = log;
    const offline = serverless.service.custom?.['serverless-offline'] ?? {};
    // The handlers defined below live in this process: serverless-offline must not use worker threads.
    if (offline.useInProcess !== true && !options.useInProcess) {
      throw new Error('local stages run handlers from source in-process: set custom.serverless-offline.useInProcess: true');
    }
    this.hooks = {
      // Once every plugin is loaded, before serverless-offline reads the functions.
      initialize: () => this.defineFunctions(),
      // Before serverless-offline listens: "ready" means warm, and a module's first load never eats into
      // an invocation's timeout (on AWS the init phase has its own).
      'before:offline:start:init': () => this.loadFunctions(),
    };
  }

  defineFunctions() {
    require('tsx/cjs/api').register();
    const { defineSourceHandler } = require('./source-runtime');
    for (const [key, fn] of Object.entries(this.serverless.service.functions)) {
      if (!fn.handler) continue;
      const http = (fn.events ?? []).some((event) => event.httpApi || event.http);
      defineSourceHandler({ key, handler: fn.handler, http });
      fn.handler = `${SOURCE_HANDLERS}.${key}`;
    }
  }

  loadFunctions() {
    const startedAt = Date.now();
    const { loadSourceHandlers } = require('./source-runtime');
    const { provider, functions } = this.serverless.service;
    const { loaded, failed } = loadSourceHandlers((key) => ({ ...provider.environment, ...functions[key]?.environment }));
    const failures = failed ? `, ${failed} could not be loaded (logged above; they answer 500)` : '';
    this.log?.notice?.(`Loaded ${loaded} functions from their TypeScript source in ${Date.now() - startedAt} ms${failures}`);
  }
}

/** Called with `new` by the plugin manager: the object returned is the plugin it registers. */
function LocalSourceRuntimeOrEsbuild(serverless, options, utils) {
  if (runsFromSource(serverless)) return new LocalSourceRuntime(serverless, options, utils);
  const EsbuildServerlessPlugin = require('serverless-esbuild');
  return new EsbuildServerlessPlugin(serverless, options, utils);
}

module.exports = LocalSourceRuntimeOrEsbuild;
