'use strict';
// serverless-offline loads a handler module by file name, and only a .js/.mjs/.cjs one: on local stages
// every function's handler points here (infra/local/source-runtime-plugin.js), one export per function
// key, each loading the function's TypeScript source (infra/local/source-runtime.ts).
module.exports = require('./source-runtime').sourceHandlers;
