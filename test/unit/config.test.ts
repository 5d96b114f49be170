import { ConfigError, parseConfig } from '../../shared/config';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { localEnvironment } from '../../infra/local/environment';
import { localstackEnvironment } from '../../infra/local/services/localstack';

describe('parseConfig', () => {
  it('reads a complete local environment', () => {
    const config = parseConfig(localEnvironment('test', {}));

    expect(config.mysql.database).toBe('chat_test');
    expect(config.sqs.queueUrls.chats).toMatch(/chat-system-test-chats$/);
    expect(config.opensearch.auth).toBe('none');
  });

  it('fails fast naming the missing variable', () => {
    const env: NodeJS.ProcessEnv = { ...localEnvironment('test', {}) };
    delete env.MYSQL_HOST;

    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(/MYSQL_HOST is missing/);
  });

  it('names an invalid variable', () => {
    expect(() => parseConfig({ ...localEnvironment('test', {}), REDIS_URL: 'not a url' })).toThrow(/REDIS_URL is invalid/);
  });

  it('limits the MySQL confirmations of Redis misses: generous defaults, validated overrides', () => {
    expect(parseConfig(localEnvironment('test', {})).limits.missConfirmations).toEqual({ burst: 1000, perSecond: 500 });
    expect(parseConfig(localEnvironment('test', { MISS_CONFIRMATION_BURST: '5', MISS_CONFIRMATION_PER_SECOND: '0.5' })).limits.missConfirmations).toEqual({
      burst: 5,
      perSecond: 0.5,
    });
    expect(() => parseConfig({ ...localEnvironment('test', {}), MISS_CONFIRMATION_BURST: '0' })).toThrow(/MISS_CONFIRMATION_BURST is invalid/);
    expect(() => parseConfig({ ...localEnvironment('test', {}), MISS_CONFIRMATION_PER_SECOND: '-1' })).toThrow(/MISS_CONFIRMATION_PER_SECOND is invalid/);
  });
});

describe('localEnvironment', () => {
  it('moves every port with an environment variable', () => {
    const env = localEnvironment('local', { MYSQL_PORT: '13306', REDIS_PORT: '16379', SQS_PORT: '19324', OPENSEARCH_PORT: '19200' });

    expect(env.MYSQL_PORT).toBe('13306');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:16379/0');
    expect(env.CHATS_QUEUE_URL).toMatch(/^http:\/\/127\.0\.0\.1:19324\//);
    expect(env.OPENSEARCH_URL).toBe('http://127.0.0.1:19200');
  });

  it('refuses a port that is not one', () => {
    expect(() => localEnvironment('local', { MYSQL_PORT: 'abc' })).toThrow(/MYSQL_PORT must be a TCP port/);
  });

  it('keeps the test stage apart from the local one', () => {
    const local = localEnvironment('local', {});
    const test = localEnvironment('test', {});

    expect(test.MYSQL_DATABASE).not.toBe(local.MYSQL_DATABASE);
    expect(test.REDIS_URL).not.toBe(local.REDIS_URL);
    expect(test.CHATS_QUEUE_URL).not.toBe(local.CHATS_QUEUE_URL);
    expect(test.OPENSEARCH_INDEX_PREFIX).not.toBe(local.OPENSEARCH_INDEX_PREFIX);
  });
});

describe('the WebSocket port (live updates)', () => {
  it('is the HTTP port + 1 of the stage’s API, so it moves with it', () => {
    expect(localEnvironment('local', {}).WEBSOCKET_ENDPOINT).toBe('http://127.0.0.1:3001');
    expect(localEnvironment('local', { HTTP_PORT: '8080' }).WEBSOCKET_ENDPOINT).toBe('http://127.0.0.1:8081');
    expect(localEnvironment('test', {}).WEBSOCKET_ENDPOINT).toBe('http://127.0.0.1:3101');
    expect(localEnvironment('test', { TEST_HTTP_PORT: '4100' }).WEBSOCKET_ENDPOINT).toBe('http://127.0.0.1:4101');
  });

  it('inside serverless-offline, is the one the launcher gave that instance', () => {
    expect(localEnvironment('test', { HTTP_PORT: '3150', WEBSOCKET_PORT: '3151' }).WEBSOCKET_ENDPOINT).toBe('http://127.0.0.1:3151');
  });
});

describe('TLS on AWS stages', () => {
  /** What a prod function sees once CloudFormation resolved infra/environment.js. */
  const awsEnvironment = (): NodeJS.ProcessEnv => ({
    STAGE: 'prod',
    MYSQL_HOST: 'chat-system-prod.proxy-abc.eu-west-1.rds.amazonaws.com',
    MYSQL_USER: 'chat',
    MYSQL_PASSWORD: 'secret',
    MYSQL_DATABASE: 'chat',
    MYSQL_TLS: 'true',
    REDIS_URL: 'rediss://:token@master.chat.cache.amazonaws.com:6379',
    OPENSEARCH_URL: 'https://vpc-chat-system-prod.eu-west-1.es.amazonaws.com',
    OPENSEARCH_AUTH: 'sigv4',
    CHATS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-system-prod-chats',
    CHATS_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-system-prod-chats-dlq',
    MESSAGES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-system-prod-messages',
    MESSAGES_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chat-system-prod-messages-dlq',
    WEBSOCKET_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  });

  it('connects to MySQL (RDS Proxy) with verified TLS', () => {
    const options = mysqlOptions(parseConfig(awsEnvironment()).mysql);

    expect(options.ssl).toEqual({ minVersion: 'TLSv1.2', rejectUnauthorized: true });
  });

  it.each([
    ['MYSQL_TLS', 'false'],
    ['REDIS_URL', 'redis://master.chat.cache.amazonaws.com:6379'],
    ['OPENSEARCH_URL', 'http://vpc-chat-system-prod.eu-west-1.es.amazonaws.com'],
    ['SQS_ENDPOINT', 'http://sqs.eu-west-1.amazonaws.com'],
    ['WEBSOCKET_ENDPOINT', 'http://abc123.execute-api.eu-west-1.amazonaws.com/prod'],
  ])('refuses a plaintext %s', (name, value) => {
    expect(() => parseConfig({ ...awsEnvironment(), [name]: value })).toThrow(new RegExp(`${name} is invalid`));
  });

  it('keeps plaintext for the local stages on 127.0.0.1', () => {
    expect(mysqlOptions(parseConfig(localEnvironment('test', {})).mysql).ssl).toBeUndefined();
  });
});

describe('the local SQS backend', () => {
  it('is ElasticMQ on 9324 by default, LocalStack on 4566 with SQS_BACKEND=localstack, and named to the functions', () => {
    expect(localEnvironment('test', {})).toMatchObject({ SQS_BACKEND: 'elasticmq', SQS_ENDPOINT: 'http://127.0.0.1:9324' });
    expect(localEnvironment('test', { SQS_BACKEND: 'localstack' })).toMatchObject({ SQS_BACKEND: 'localstack', SQS_ENDPOINT: 'http://127.0.0.1:4566' });
    expect(localEnvironment('test', { SQS_BACKEND: 'localstack', SQS_PORT: '14566' }).SQS_ENDPOINT).toBe('http://127.0.0.1:14566');
  });

  it('refuses an unknown backend', () => {
    expect(() => localEnvironment('test', { SQS_BACKEND: 'rabbitmq' })).toThrow(/SQS_BACKEND must be elasticmq or localstack/);
  });

  it('runs LocalStack on 127.0.0.1 only, path-style queue URLs, files under .local', () => {
    const env = localstackEnvironment(4566, '/repo/.local/localstack');

    expect(env).toMatchObject({ GATEWAY_LISTEN: '127.0.0.1:4566', GATEWAY_SERVER: 'hypercorn', SQS_ENDPOINT_STRATEGY: 'path', SERVICES: 'sqs', OVERRIDE_IN_DOCKER: '0' });
    expect(env.FILESYSTEM_ROOT).toMatch(/^\/repo\/\.local\/localstack\//);
  });
});
