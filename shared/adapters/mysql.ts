import { createPool, type Pool, type PoolOptions } from 'mysql2/promise';
import { config, type Config } from '../config';

/** Connection options shared by the Lambda pool, the migration runner and the tests. */
export function mysqlOptions(mysql: Config['mysql'] = config().mysql): PoolOptions {
  return {
    host: mysql.host,
    port: mysql.port,
    user: mysql.user,
    password: mysql.password,
    database: mysql.database,
    charset: 'utf8mb4_unicode_ci',
    // Timestamps are stored and read as UTC, whatever the server's or the container's time zone.
    timezone: 'Z',
    // Until the server's handshake arrives, not just the TCP connect: a silent server is down too.
    connectTimeout: mysql.connectTimeoutMs,
    enableKeepAlive: true,
    // RDS Proxy requires TLS (RequireTLS) and presents an ACM certificate, which Node's own CA list
    // verifies: no RDS CA bundle to ship. Local stages talk to MariaDB on 127.0.0.1 without.
    ...(mysql.tls ? { ssl: { minVersion: 'TLSv1.2', rejectUnauthorized: true } } : {}),
  };
}

const queryTimeouts = new WeakMap<Pool, number>();
const DEFAULT_QUERY_TIMEOUT_MS = 4000;

/** The deadline of one statement on this pool (what the request-path stores run with). */
export const queryTimeoutOf = (pool: Pool): number => queryTimeouts.get(pool) ?? DEFAULT_QUERY_TIMEOUT_MS;

/** A pool whose connections and statements have deadlines (config.ts keeps them inside a request). */
export function createMysqlPool(mysql: Config['mysql'] = config().mysql): Pool {
  const created = createPool({
    ...mysqlOptions(mysql),
    connectionLimit: mysql.poolSize,
    maxIdle: mysql.poolSize,
    idleTimeout: 60_000,
  });
  queryTimeouts.set(created, mysql.queryTimeoutMs);
  return created;
}

/**
 * The same pool with another statement deadline: the queue consumers' batch statements may take
 * longer than a request's (their Lambda timeout is 30 s), and a timeout there fails the whole batch.
 */
export function withStatementTimeout(target: Pool, timeoutMs: number): Pool {
  const view = new Proxy(target, {
    get(pool, key) {
      const value = Reflect.get(pool, key, pool);
      return typeof value === 'function' ? value.bind(pool) : value;
    },
  });
  queryTimeouts.set(view, timeoutMs);
  return view;
}

let pool: Pool | undefined;

/**
 * The one pool of this Lambda container. Small on purpose: each container serves one request at a
 * time, and many containers share the database (through RDS Proxy in AWS).
 */
export function mysqlPool(): Pool {
  pool ??= createMysqlPool();
  return pool;
}

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  // A statement over its deadline (mysql2's per-query timeout).
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
]);

/** True for errors that mean "the database is unreachable or busy", as opposed to a bad statement. */
export function isMysqlOutage(error: unknown): boolean {
  const { code, fatal } = (error ?? {}) as { code?: string; fatal?: boolean };
  return fatal === true || (code !== undefined && OUTAGE_CODES.has(code));
}
