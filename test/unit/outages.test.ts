import { errors } from '@opensearch-project/opensearch';
import { ReplyError } from 'ioredis';
import { isMysqlOutage } from '../../shared/adapters/mysql';
import { isRedisOutage } from '../../shared/adapters/redis';
import { isSearchUnavailable } from '../../shared/adapters/search-index';
import { isSqsOutage, sqsQueue } from '../../shared/adapters/sqs';
import { ServiceUnavailable } from '../../shared/domain/errors';
import type { SQSClient } from '@aws-sdk/client-sqs';

/** An error as the AWS SDK v3 builds it from an SQS answer. */
const sqsError = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: status === undefined ? {} : { httpStatusCode: status }, $fault: status && status >= 500 ? 'server' : 'client' });

describe('client error or outage: every adapter decides by error code, not HTTP class', () => {
  it.each([
    ['throttling (400)', sqsError('ThrottlingException', 400)],
    ['RequestThrottled (403)', sqsError('RequestThrottled', 403)],
    ['QueueDoesNotExist (400)', sqsError('QueueDoesNotExist', 400)],
    ['AWS.SimpleQueueService.NonExistentQueue (400)', sqsError('AWS.SimpleQueueService.NonExistentQueue', 400)],
    ['a 500', sqsError('InternalError', 500)],
    ['a 503 with an unknown code', sqsError('Whatever', 503)],
    ['connection refused (no answer)', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', $metadata: {} })],
    ['a request timeout', sqsError('TimeoutError')],
  ])('SQS %s is an outage', (_case, error) => {
    expect(isSqsOutage(error)).toBe(true);
  });

  it.each([
    ['InvalidMessageContents', sqsError('InvalidMessageContents', 400)],
    ['a message too long', sqsError('InvalidParameterValue', 400)],
    ['MessageTooLong', sqsError('MessageTooLong', 400)],
    ['access denied', sqsError('AccessDenied', 403)],
  ])('SQS %s is not an outage', (_case, error) => {
    expect(isSqsOutage(error)).toBe(false);
  });

  it('the queue adapter turns an SQS outage into a 503 and InvalidMessageContents into a plain error (a logged 500, never a 503)', async () => {
    const failingWith = (error: Error) => sqsQueue({ send: async () => Promise.reject(error) } as unknown as SQSClient, { chats: 'q', messages: 'q' });

    await expect(failingWith(sqsError('ThrottlingException', 400)).send('chats', {})).rejects.toBeInstanceOf(ServiceUnavailable);
    const rejected = failingWith(sqsError('InvalidMessageContents', 400)).send('chats', {});
    await expect(rejected).rejects.toThrow('InvalidMessageContents');
    await expect(rejected).rejects.not.toBeInstanceOf(ServiceUnavailable);
  });

  it('Redis: unreachable, or a reply saying it cannot serve now, is an outage; a script error is a bug', () => {
    expect(isRedisOutage(new Error('connect ECONNREFUSED 127.0.0.1:9'))).toBe(true);
    expect(isRedisOutage(new Error('Command timed out'))).toBe(true);
    expect(isRedisOutage(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisOutage(new ReplyError('READONLY You can\'t write against a read only replica.'))).toBe(true);
    expect(isRedisOutage(new ReplyError('OOM command not allowed when used memory > \'maxmemory\'.'))).toBe(true);
    expect(isRedisOutage(new ReplyError('CLUSTERDOWN The cluster is down'))).toBe(true);
    expect(isRedisOutage(new ReplyError('ERR Error running script: attempt to compare nil with number'))).toBe(false);
    expect(isRedisOutage(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
  });

  it('MySQL: unreachable, silent or a statement over its deadline is an outage; a bad statement is a bug', () => {
    expect(isMysqlOutage(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT', fatal: true }))).toBe(true);
    expect(isMysqlOutage(Object.assign(new Error('Query inactivity timeout'), { code: 'PROTOCOL_SEQUENCE_TIMEOUT' }))).toBe(true);
    expect(isMysqlOutage(Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' }))).toBe(true);
    expect(isMysqlOutage(Object.assign(new Error('syntax'), { code: 'ER_PARSE_ERROR' }))).toBe(false);
    expect(isMysqlOutage(Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY' }))).toBe(false);
  });

  it('OpenSearch: unreachable, throttling or any 5xx is an outage; another 4xx is a bug', () => {
    const response = (statusCode: number) => new errors.ResponseError({ body: {}, statusCode, headers: {}, meta: {} } as never);
    expect(isSearchUnavailable(new errors.TimeoutError('Request timed out', {} as never))).toBe(true);
    expect(isSearchUnavailable(response(429))).toBe(true);
    expect(isSearchUnavailable(response(500))).toBe(true);
    expect(isSearchUnavailable(response(503))).toBe(true);
    expect(isSearchUnavailable(response(400))).toBe(false);
  });
});
