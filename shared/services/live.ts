import type { ConnectionRegistry } from '../adapters/connections';
import type { ConnectionPusher } from '../adapters/websocket-push';
import { framesOf, liveEventsByChat, type ChatAddress } from '../domain/live';
import type { MessageRecord } from '../domain/records';
import type { CounterRecovery } from './recovery';
import type { SearchableMessage } from '../domain/search';
import { describeError, log } from '../http/log';
import { recordMetric } from '../observability/metrics';

export interface LiveDeps {
  /** The chat check: Redis, with a miss confirmed against MySQL before a 404 (Redis may have lost data). */
  recovery: Pick<CounterRecovery, 'knownChat'>;
  connections: ConnectionRegistry;
  pusher: ConnectionPusher;
  /** Pushes in flight at once, over all chats of a batch. */
  concurrency?: number;
  /** After this, pushes not yet started are skipped (logged and counted): the batch is never held. */
  budgetMs?: number;
}

/** The messages consumer's port: tell the subscribed clients what a batch persisted. Never throws. */
export interface MessageNotifier {
  notifyPersisted(stored: MessageRecord[], rows: SearchableMessage[]): Promise<PushReport>;
}

export interface PushReport {
  connections: number;
  frames: number;
  failed: number;
  gone: number;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Live updates over the WebSocket API. A client connects with an application token and a chat
 * number; the messages consumer, once a batch is persisted in MySQL and OpenSearch, sends each
 * connection of a chat that batch's events of the chat, in number order, in one frame. Pushes are
 * a convenience over the HTTP reads (DESIGN invariant 9): a failed push is logged and counted,
 * never retried and never a failure of the batch.
 */
export const liveService = ({ recovery, connections, pusher, concurrency = 16, budgetMs = 10_000 }: LiveDeps) => {
  /**
   * The one check of a chat for `$connect`: in Redis (read-only numbering), so a chat numbered but
   * not yet persisted is known (DESIGN invariant 3); MySQL is asked only on a miss, to confirm it
   * before the refusal (CLARIFICATIONS: after a Redis rollback the counter may sit below a real chat).
   */
  async function requireKnownChat({ token, chatNumber }: ChatAddress): Promise<void> {
    await recovery.knownChat(token, chatNumber);
  }

  return {
    async connect(chat: ChatAddress, connectionId: string): Promise<void> {
      await requireKnownChat(chat);
      await connections.add(chat, connectionId);
    },

    async disconnect(connectionId: string): Promise<void> {
      await connections.remove(connectionId);
    },

    /** A ping keeps the connection registered (its idle expiry moves forward). */
    async ping(connectionId: string): Promise<void> {
      const chat = await connections.chatOf(connectionId);
      if (chat) await connections.refresh(chat, [connectionId]);
    },

    async notifyPersisted(stored: MessageRecord[], rows: SearchableMessage[]): Promise<PushReport> {
      const report: PushReport = { connections: 0, frames: 0, failed: 0, gone: 0 };
      const startedAt = Date.now();
      try {
        const chats = [...liveEventsByChat(stored, rows).values()];
        const subscribed = await Promise.all(chats.map(async ({ chat, events }) => ({ chat, frames: framesOf(events), ids: await connections.ofChat(chat) })));
        const pushes = subscribed.flatMap(({ chat, frames, ids }) => ids.map((connectionId) => ({ chat, frames, connectionId })));
        report.connections = pushes.length;
        if (pushes.length === 0) return report;

        const deadline = AbortSignal.timeout(budgetMs);
        const delivered = new Map<ChatAddress, string[]>();
        await eachLimited(pushes, concurrency, async ({ chat, frames, connectionId }) => {
          for (const frame of frames) {
            const outcome = deadline.aborted ? { ok: false as const, gone: false, error: new Error('push budget exhausted') } : await pusher.post(connectionId, frame, deadline);
            if (outcome.ok) {
              report.frames++;
              continue;
            }
            if (outcome.gone) {
              report.gone++;
              await connections.removeGone(chat, connectionId).catch((error: unknown) => log('warn', 'live: removing a gone connection failed', { connectionId, ...describeError(error) }));
            } else {
              report.failed++;
              log('warn', 'live push failed', { connectionId, chatNumber: chat.chatNumber, ...describeError(outcome.error) });
            }
            return;
          }
          delivered.set(chat, [...(delivered.get(chat) ?? []), connectionId]);
        });
        await Promise.all([...delivered].map(([chat, ids]) => connections.refresh(chat, ids)));
      } catch (error) {
        // Redis unreachable, or a bug: the batch is persisted all the same; clients re-read over HTTP.
        report.failed = Math.max(report.failed, 1);
        log('error', 'live updates failed', describeError(error));
      }
      if (report.connections === 0 && report.failed === 0) return report;
      // From "the batch is persisted" to the last push answered: what a client waits beyond persistence.
      const durationMs = Date.now() - startedAt;
      log('info', 'live updates pushed', { ...report, persistedAt: startedAt, durationMs });
      recordMetric('LivePushDuration', durationMs, 'Milliseconds');
      recordMetric('LivePushFrames', report.frames);
      if (report.failed > 0) recordMetric('LivePushFailures', report.failed);
      if (report.gone > 0) recordMetric('LiveConnectionsGone', report.gone);
      return report;
    },
  };
};

export type LiveService = ReturnType<typeof liveService>;
