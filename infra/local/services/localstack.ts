import { join } from 'node:path';
import { servicePaths } from '../paths';
import { startDaemon, waitUntilReady } from '../process';
import { ensureVenv } from '../venv';
import type { LocalService } from './types';

/** LocalStack community core, from the lock file, in its own Python 3.13 venv under .local/venv. */
const ensureLocalStack = () => ensureVenv({ name: 'localstack', requirements: 'infra/python/localstack.txt', python: 'python3.13' });

/**
 * The environment that makes LocalStack run on the host (no Docker) as a plain SQS server on
 * 127.0.0.1:port, its files under .local/localstack.
 */
export function localstackEnvironment(port: number, dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Else it believes it is in its container and writes under /var/lib, /etc and /usr/lib.
    OVERRIDE_IN_DOCKER: '0',
    FILESYSTEM_ROOT: join(dir, 'filesystem'),
    CONFIG_DIR: join(dir, 'config'),
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    // The default gateway server binds 0.0.0.0 whatever GATEWAY_LISTEN says; hypercorn honours it.
    GATEWAY_SERVER: 'hypercorn',
    LOCALSTACK_HOST: `127.0.0.1:${port}`,
    // Path-style queue URLs (http://127.0.0.1:port/000000000000/name): the default host-style ones
    // need a DNS name that resolves to this machine.
    SQS_ENDPOINT_STRATEGY: 'path',
    SERVICES: 'sqs',
    EAGER_SERVICE_LOADING: '1',
    DISABLE_EVENTS: '1',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DNS_ADDRESS: '0',
  };
}

/**
 * LocalStack as the local SQS server (SQS_BACKEND=localstack), instead of ElasticMQ. It keeps queues
 * and messages in memory only (even with PERSISTENCE=1 they do not survive a restart), so the
 * launcher creates the queues on every start (platform.ts ensureQueues, from infra/queues.json).
 */
export function localstack(port: number): LocalService {
  const paths = servicePaths('localstack');
  return {
    id: 'localstack',
    name: 'LocalStack (SQS)',
    port,
    install: () => void ensureLocalStack(),
    async start() {
      const bin = ensureLocalStack();
      const pid = startDaemon(join(bin, 'python'), ['-m', 'localstack.runtime.main'], {
        ...paths,
        env: localstackEnvironment(port, paths.dir),
        cwd: paths.dir,
      });
      await waitUntilReady('LocalStack', () => this.isReady(), { timeoutMs: 120_000, logFile: paths.logFile, pid });
    },
    async isReady() {
      const response = await fetch(`http://127.0.0.1:${port}/_localstack/health`).catch(() => undefined);
      if (!response?.ok) return false;
      const { services } = (await response.json()) as { services?: Record<string, string> };
      return services?.sqs === 'running' || services?.sqs === 'available';
    },
  };
}
