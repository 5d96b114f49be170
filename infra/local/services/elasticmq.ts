import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deadLetterQueueName, queueName, queues } from '../environment';
import { ensureJvmClasspath } from '../install';
import { servicePaths } from '../paths';
import { startDaemon, waitUntilReady } from '../process';
import type { LocalService } from './types';

/** ElasticMQ's HOCON config: our queues (with their DLQs and redrive) for every local stage. */
export function elasticmqConfig(port: number, stages: string[], storageDir: string): string {
  const queueBlocks = stages.flatMap((stage) =>
    Object.entries(queues).flatMap(([key, queue]) => [
      `  "${deadLetterQueueName(stage, key)}" { defaultVisibilityTimeout = ${queue.visibilityTimeout} seconds }`,
      `  "${queueName(stage, key)}" {`,
      `    defaultVisibilityTimeout = ${queue.visibilityTimeout} seconds`,
      `    deadLettersQueue { name = "${deadLetterQueueName(stage, key)}", maxReceiveCount = ${queue.maxReceiveCount} }`,
      '  }',
    ]),
  );
  return [
    'include classpath("application.conf")',
    `node-address { protocol = http, host = "127.0.0.1", port = ${port}, context-path = "" }`,
    `rest-sqs { enabled = true, bind-port = ${port}, bind-hostname = "127.0.0.1", sqs-limits = strict }`,
    'rest-stats { enabled = false }',
    'generate-node-address = false',
    '# Messages survive a restart of the server, as they would in SQS.',
    `messages-storage { enabled = true, uri = "jdbc:h2:${join(storageDir, 'messages')}" }`,
    'queues {',
    ...queueBlocks,
    '}',
    '',
  ].join('\n');
}

export function elasticmq(port: number, stages: string[]): LocalService {
  const paths = servicePaths('elasticmq');
  return {
    id: 'elasticmq',
    name: 'ElasticMQ (SQS)',
    port,
    install: () => void ensureJvmClasspath('elasticmq'),
    async start() {
      const configFile = join(paths.dir, 'elasticmq.conf');
      writeFileSync(configFile, elasticmqConfig(port, stages, paths.dir));
      const pid = startDaemon('java', [
        '-Xmx256m',
        `-Dconfig.file=${configFile}`,
        '-cp', ensureJvmClasspath('elasticmq'),
        'org.elasticmq.server.Main',
      ], paths);
      await waitUntilReady('ElasticMQ', () => this.isReady(), { timeoutMs: 60_000, logFile: paths.logFile, pid });
    },
    async isReady() {
      const response = await fetch(`http://127.0.0.1:${port}/?Action=ListQueues`).catch(() => undefined);
      return response !== undefined && response.status < 500;
    },
  };
}
