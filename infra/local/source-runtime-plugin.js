'use strict';
// Local stages (local, test) under `sls offline`: serverless-offline runs every function's TypeScript
// module from source, in its own process, through tsx (infra/local/source-runtime.ts), instead of
// serverless-esbuild bundling every function into `.esbuild/` first. Why:
// - the bundles lived in the work folder that `sls package` cleans and rewrites, so packaging broke a
//   running API (issue 14); from source, the running API uses no build output at all;
// - the bundler in watch mode held ~2.5-5 GB and a start bundled every function (issue 10).
// `sls package` / `sls deploy` (any stage) are untouched: this plugin does nothing outside `offline`,
// and the deployed packages stay one esbuild bundle per function.
const { isLocalStage } = require('../resources.js');

const ESBUILD_PLUGIN = 'EsbuildServerlessPlugin';
/** The module every local function's handler points to; it exports one handler per function key. */
const SOURCE_HANDLERS = 'infra/local/source-handlers';

class LocalSourceRuntime {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log;
    this.hooks = {};
    if (serverless.processedInput.commands[0] === 'offline') {
      // `initialize` runs once every plugin is loaded and before serverless-offline reads the functions.
      this.hooks.initialize = () => this.runFromSource();
    }
  }

  runFromSource() {
    const { service, pluginManager } = this.serverless;
    if (!isLocalStage(this.serverless.getProvider('aws').getStage())) return;
    // The handlers below live in this process: serverless-offline must not run them in worker threads.
    if (service.custom?.['serverless-offline']?.useInProcess !== true && !this.options.useInProcess) {
      throw new Error('local stages run handlers from source in-process: set custom.serverless-offline.useInProcess: true');
    }
    // serverless-esbuild bundles on `before:offline:start(:init)`, watches the sources and points
    // serverless-offline's `location` at its work folder: none of that is wanted here.
    for (const [event, hooks] of Object.entries(pluginManager.hooks)) {
      if (event.includes('offline:')) pluginManager.hooks[event] = hooks.filter((hook) => hook.pluginName !== ESBUILD_PLUGIN);
    }
    require('tsx/cjs/api').register();
    const { defineSourceHandler } = require('./source-runtime');
    for (const [key, fn] of Object.entries(service.functions)) {
      if (!fn.handler) continue;
      const http = (fn.events ?? []).some((event) => event.httpApi || event.http);
      defineSourceHandler({ key, handler: fn.handler, http });
      fn.handler = `${SOURCE_HANDLERS}.${key}`;
    }
    this.log?.verbose?.(`local stage: ${Object.keys(service.functions).length} functions run from their TypeScript source (tsx)`);
  }
}

module.exports = LocalSourceRuntime;
