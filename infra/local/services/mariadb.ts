import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { ensureDebianPackages } from '../install';
import { servicePaths } from '../paths';
import { detail, isPortOpen, run, startDaemon, waitUntilReady } from '../process';
import type { LocalService } from './types';

export function mariadb(port: number): LocalService {
  const paths = servicePaths('mariadb');
  const dataDir = join(paths.dir, 'data');
  const socket = join(paths.dir, 'mysqld.sock');
  const runAsRoot = process.getuid?.() === 0;
  return {
    id: 'mariadb',
    name: 'MariaDB',
    port,
    install: () => ensureDebianPackages({ mariadbd: 'mariadb-server', 'mariadb-install-db': 'mariadb-server' }),
    async start() {
      if (!existsSync(join(dataDir, 'mysql'))) {
        detail(`initialising a data directory in ${dataDir}`);
        run('mariadb-install-db', [
          '--no-defaults',
          `--datadir=${dataDir}`,
          '--auth-root-authentication-method=socket',
          '--skip-test-db',
          ...(runAsRoot ? ['--user=root'] : []),
        ], { quiet: true });
      }
      const pid = startDaemon('mariadbd', [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(paths.dir, 'mariadbd.pid')}`,
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=256M',
        '--max-connections=500',
        ...(runAsRoot ? ['--user=root'] : []),
      ], paths);
      await waitUntilReady('MariaDB', () => this.isReady(), { timeoutMs: 60_000, logFile: paths.logFile, pid });
    },
    isReady: () => isPortOpen(port),
  };
}

/**
 * Opens an administrative connection to the server on `port`: through a local socket where the OS
 * user is an administrator (our own server's, or the Debian package's), else over TCP as MYSQL_ADMIN_USER (default root) with MYSQL_ADMIN_PASSWORD.
 */
export async function adminConnection(port: number) {
  // Our own server's socket, then the Debian package's own server (if its install started one).
  for (const socket of [join(servicePaths('mariadb').dir, 'mysqld.sock'), '/run/mysqld/mysqld.sock']) {
    if (!existsSync(socket)) continue;
    try {
      const connection = await createConnection({ socketPath: socket, user: userInfo().username, multipleStatements: true });
      const [[row]] = await connection.query<RowDataPacket[]>('SELECT @@port AS port');
      if (Number(row?.port) === port) return connection;
      await connection.end();
    } catch {
      /* not the server on our port: try the next way in */
    }
  }
  return createConnection({
    host: '127.0.0.1',
    port,
    user: process.env.MYSQL_ADMIN_USER ?? 'root',
    password: process.env.MYSQL_ADMIN_PASSWORD ?? '',
    multipleStatements: true,
  });
}
