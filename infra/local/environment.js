'use strict';
// Every local default lives here: ports, credentials, names. The launcher, serverless.yml (through
// infra/environment.js), the tests and localstack/ all read it, so moving a port is one variable.
const path = require('node:path');
const { queues } = require('../queues.json');

const SERVICE = 'chat-system';
const ROOT = path.resolve(__dirname, '..', '..');

/** The WebSocket port of an API instance: always its HTTP port + 1. */
const websocketPortOf = (httpPort) => httpPort + 1;

/** The local SQS server: ElasticMQ (default) or LocalStack (`SQS_BACKEND=localstack`). */
function sqsBackend(env = process.env) {
  const backend = env.SQS_BACKEND || 'elasticmq';
  if (backend !== 'elasticmq' && backend !== 'localstack') {
    throw new Error(`SQS_BACKEND must be elasticmq or localstack, got "${backend}"`);
  }
  return backend;
}

/** Ports, each movable by an environment variable of the same name. */
function localPorts(env = process.env) {
  const port = (name, fallback) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
    }
    return value;
  };
  const http = port('HTTP_PORT', 3000);
  const testHttp = port('TEST_HTTP_PORT', 3100);
  return {
    mysql: port('MYSQL_PORT', 3306),
    redis: port('REDIS_PORT', 6379),
    // Each SQS backend has its own default port, so both can run side by side.
    sqs: port('SQS_PORT', sqsBackend(env) === 'localstack' ? 4566 : 9324),
    opensearch: port('OPENSEARCH_PORT', 9200),
    http,
    lambda: port('LAMBDA_PORT', 3002),
    // Live updates: serverless-offline's WebSocket server sits at HTTP + 1 (3001), so it moves with
    // the HTTP port and `npm start`, `npm test` and extra API instances never collide.
    websocket: websocketPortOf(http),
    // `npm test` runs its own API instance, so it can run beside `npm start`.
    testHttp,
    testLambda: port('TEST_LAMBDA_PORT', 3102),
    testWebsocket: websocketPortOf(testHttp),
  };
}

const queueName = (stage, key) => `${SERVICE}-${stage}-${key}`;
const deadLetterQueueName = (stage, key) => `${queueName(stage, key)}-dlq`;

/**
 * The Lambda environment for a local stage. Each stage gets its own database, Redis database,
 * queues and search index, so `npm test` (stage "test") never touches the data of `npm start`
 * (stage "local") even when both run on the same services.
 */
function localEnvironment(stage = 'local', env = process.env) {
  const ports = localPorts(env);
  const sqsEndpoint = `http://127.0.0.1:${ports.sqs}`;
  const queueUrl = (name) => `${sqsEndpoint}/000000000000/${name}`;
  // Inside serverless-offline the launcher sets WEBSOCKET_PORT (its instance's HTTP + 1); elsewhere
  // (tests, tools) the stage's default instance.
  const websocketPort = env.WEBSOCKET_PORT || (stage === 'test' ? ports.testWebsocket : ports.websocket);
  const environment = {
    STAGE: stage,
    AWS_REGION: env.AWS_REGION || 'us-east-1',
    MYSQL_HOST: '127.0.0.1',
    MYSQL_PORT: String(ports.mysql),
    MYSQL_USER: 'chat',
    MYSQL_PASSWORD: 'chat',
    MYSQL_DATABASE: `chat_${stage}`,
    MYSQL_POOL_SIZE: '4',
    REDIS_URL: `redis://127.0.0.1:${ports.redis}/${stage === 'test' ? 1 : 0}`,
    SQS_ENDPOINT: sqsEndpoint,
    // Which SQS-compatible server runs locally; GET /health names it on local stages.
    SQS_BACKEND: env.SQS_BACKEND || 'elasticmq',
    OPENSEARCH_URL: `http://127.0.0.1:${ports.opensearch}`,
    OPENSEARCH_INDEX_PREFIX: `${stage}_`,
    // serverless-offline serves the API Gateway Management API (`@connections`) on its WebSocket port.
    WEBSOCKET_ENDPOINT: `http://127.0.0.1:${websocketPort}`,
    // Local SQS servers accept any credentials; the SDK only insists that some exist.
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID || 'local',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY || 'local',
    // The local runtime is Node 20 (serverless.yml params), which the SDK warns about on every cold start.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // Limits a test (or a developer) may tighten for one API instance, e.g. a second API with a low rate.
  for (const name of [
    'RATE_LIMIT_BURST',
    'RATE_LIMIT_PER_SECOND',
    'MISS_CONFIRMATION_BURST',
    'MISS_CONFIRMATION_PER_SECOND',
    'IDEMPOTENCY_KEY_TTL_SECONDS',
    'RECOVERY_MARGIN',
  ]) {
    if (env[name]) environment[name] = env[name];
  }
  // A queue may be moved for one instance too (a test that kills a consumer uses queues of its own).
  for (const key of Object.keys(queues)) {
    const queue = `${key.toUpperCase()}_QUEUE_URL`;
    const dlq = `${key.toUpperCase()}_DLQ_URL`;
    environment[queue] = env[queue] || queueUrl(queueName(stage, key));
    environment[dlq] = env[dlq] || queueUrl(deadLetterQueueName(stage, key));
  }
  return environment;
}

module.exports = { SERVICE, ROOT, sqsBackend, localPorts, websocketPortOf, localEnvironment, queueName, deadLetterQueueName, queues };
