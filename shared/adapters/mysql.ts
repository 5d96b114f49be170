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
    connectTimeout: 3000,
    enableKeepAlive: true,
    // RDS Proxy requires TLS (RequireTLS) and presents an ACM certificate, which Node's own CA list
    // verifies: no RDS CA bundle to ship. Local stages talk to MariaDB on 127.0.0.1 without.
    ...(mysql.tls ? { ssl: { minVersion: 'TLSv1.2', rejectUnauthorized: true } } : {}),
  };
}

let pool: Pool | undefined;

/**
 * The one pool of this Lambda container. Small on purpose: each container serves one request at a
 * time, and many containers share the database (through RDS Proxy in AWS).
 */
export function mysqlPool(): Pool {
  pool ??= createPool({
    ...mysqlOptions(),
    connectionLimit: config().mysql.poolSize,
    maxIdle: config().mysql.poolSize,
    idleTimeout: 60_000,
  });
  return pool;
}

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
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
