import { ConfigError, parseConfig } from '../../shared/config';
import { localEnvironment } from '../../infra/local/environment';

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
