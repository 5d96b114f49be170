'use strict';
// The Lambda environment per stage. Local stages (local, test) run on the services `npm start`
// launches; every other stage reads the endpoints of the resources CloudFormation created
// (infra/resources.js), so the values are CloudFormation expressions resolved at deploy time.
const { localEnvironment } = require('./local/environment.js');
const { queues } = require('./queues.json');
const {
  isLocalStage,
  ids,
  logicalQueueId,
  logicalDeadLetterQueueId,
  DATABASE_USER,
  DATABASE_NAME,
  DATABASE_PORT,
  counterStoreEnvironment,
  settingsOf,
} = require('./resources.js');

/**
 * The environment of an AWS stage. No SQS_ENDPOINT (the SDK's regional default applies) and no
 * AWS_REGION (Lambda sets it; it is reserved). The secrets are CloudFormation dynamic references:
 * resolved at deploy time, so a new database password or Redis token takes effect on the next deploy.
 */
function awsEnvironment(stage, settings = { counterStore: 'elasticache' }) {
  const environment = {
    STAGE: stage,
    MYSQL_HOST: { 'Fn::GetAtt': [ids.databaseProxy, 'Endpoint'] },
    MYSQL_PORT: String(DATABASE_PORT),
    MYSQL_USER: DATABASE_USER,
    MYSQL_PASSWORD: { 'Fn::Sub': `{{resolve:secretsmanager:\${${ids.databaseSecret}}:SecretString:password}}` },
    MYSQL_DATABASE: DATABASE_NAME,
    MYSQL_POOL_SIZE: '2',
    // RDS Proxy requires TLS (infra/resources.js RequireTLS); the config refuses plaintext on AWS stages.
    MYSQL_TLS: 'true',
    // TLS (rediss) with the AUTH token / ACL password; letters and digits only. MemoryDB: cluster mode.
    ...counterStoreEnvironment(stage, settings),
    OPENSEARCH_URL: { 'Fn::Sub': `https://\${${ids.openSearch}.DomainEndpoint}` },
    OPENSEARCH_AUTH: 'sigv4',
    OPENSEARCH_INDEX_PREFIX: '',
    // Live updates: the Management API endpoint of the stack's WebSocket API (its stage URL over HTTPS).
    WEBSOCKET_ENDPOINT: { 'Fn::Sub': `https://\${${ids.websocketApi}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${stage}` },
  };
  for (const key of Object.keys(queues)) {
    environment[`${key.toUpperCase()}_QUEUE_URL`] = { Ref: logicalQueueId(key) };
    environment[`${key.toUpperCase()}_DLQ_URL`] = { Ref: logicalDeadLetterQueueId(key) };
  }
  return environment;
}

module.exports = {
  awsEnvironment,
  async environment({ resolveVariable }) {
    const stage = await resolveVariable('sls:stage');
    if (isLocalStage(stage)) return localEnvironment(stage);
    return awsEnvironment(stage, await settingsOf({ resolveVariable }));
  },
};
