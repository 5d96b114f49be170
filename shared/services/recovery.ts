import type { Counters } from '../adapters/counters';
import type { QueueDepth } from '../adapters/sqs';
import type { NumberingStore } from '../adapters/stores/numbering';
import { NotFound, RateLimited } from '../domain/errors';
import { log } from '../http/log';
import { recordMetric } from '../observability/metrics';

export interface RecoveryDeps {
  counters: Counters;
  numbering: NumberingStore;
  queues: QueueDepth;
  /** Numbers added above what MySQL and the queues account for (records between Redis and SQS). */
  margin: number;
}

/** What Redis did not know: the parent a create, an edit, a search or a WebSocket connect names. */
export interface Parent {
  token: string;
  chatNumber?: number;
  messageNumber?: number;
}

/** How a caller reached the miss path. */
export interface MissOptions {
  /** Creates took a token of the application's bucket in their numbering call: not a second one. */
  applicationTokenTaken?: boolean;
}

/** Counters are raised in slices: one script call stays short however many chats an application has. */
const SLICE = 500;

/**
 * Recovery from Redis data loss (DESIGN invariant 4). Redis is the numbering's source of truth, but
 * a failover, a restored snapshot or a flush can lose its latest writes or all of them. Then a
 * parent that exists looks unknown (the application's hash is gone, or its `chats` counter sits below
 * a real chat), so every such miss is confirmed against MySQL before a 404, and a confirmed parent
 * rebuilds the application's counters: MySQL's highest numbers plus a margin for the records still
 * in the queues, raised "never backwards" (per-field max in one script), so concurrent recoveries,
 * heals and creates on any instance can only move a counter up and never hand a number out twice.
 * The normal paths never come here: only a miss does, and only behind two token buckets (the
 * application's, shared with its creates, and a global one), so a flood of requests for chats that
 * do not exist, or of random tokens, cannot turn into as many MySQL lookups.
 */
export const counterRecovery = ({ counters, numbering, queues, margin }: RecoveryDeps) => {
  async function rebuild(token: string, applicationId: number, reason: string): Promise<void> {
    const [stored, queuedChats, queuedMessages] = await Promise.all([numbering.numbering(applicationId), queues.depth('chats'), queues.depth('messages')]);
    const messageCounters = [...stored.lastMessages].map(([chat, last]): [string, number] => [`m:${chat}`, last + queuedMessages + margin]);
    for (let start = 0; start < messageCounters.length; start += SLICE) {
      await counters.raise(token, new Map(messageCounters.slice(start, start + SLICE)), true);
    }
    // `chats` last: an application is live in Redis once `chats` exists, so its chats' counters must
    // already be in place, or a create could number a message from 0 in a chat MySQL already holds.
    const chats = stored.lastChat + queuedChats + margin;
    await counters.raise(token, new Map([['chats', chats]]), true);
    log('warn', 'counters recovered from MySQL', { token, reason, chats, chatCounters: messageCounters.length, queuedChats, queuedMessages, margin });
    recordMetric('CounterRecoveries');
  }

  /** Takes the tokens a MySQL lookup costs, or throws RateLimited: one Redis call per bucket. */
  async function admitLookup(token: string, { applicationTokenTaken = false }: MissOptions): Promise<void> {
    if (!applicationTokenTaken) {
      const ofApplication = await counters.takeApplicationToken(token);
      if ('rateLimited' in ofApplication) {
        recordMetric('RateLimited', 1, 'Count', { bucket: 'application' });
        throw new RateLimited(ofApplication.rateLimited.retryAfterMs, 'too many requests for this application');
      }
    }
    // Its own key (own cluster slot), so its own call: every unknown token starts with a full bucket.
    const global = await counters.takeMissConfirmationToken();
    if ('rateLimited' in global) {
      recordMetric('RateLimited', 1, 'Count', { bucket: 'missConfirmations' });
      throw new RateLimited(global.rateLimited.retryAfterMs, 'too many requests for applications, chats or messages that are not known');
    }
  }

  return {
    rebuild,

    /**
     * Redis said `missing` for this parent: asks MySQL (one indexed lookup), once the rate limits
     * allow it (else RateLimited). Unknown there too: throws NotFound. Known: rebuilds the
     * application's counters, and the caller asks Redis again.
     */
    async confirmMiss(parent: Parent, missing: 'application' | 'chat' | 'message', options: MissOptions = {}): Promise<void> {
      await admitLookup(parent.token, options);
      const found = await numbering.confirm(parent.token, parent.chatNumber, parent.messageNumber);
      if (found.applicationId === undefined) throw new NotFound('application', parent.token);
      // A lost application hash may also have lost chats that are still queued: the rebuild's margin
      // covers them, so only a miss on a chat or message of a live hash needs that row in MySQL.
      if (missing === 'chat' && !found.chat) throw new NotFound('chat', parent.chatNumber);
      if (missing === 'message' && !found.message) throw new NotFound('message', parent.messageNumber);
      await rebuild(parent.token, found.applicationId, `${missing} missing in Redis`);
    },

    /**
     * The chat check of every path that reads Redis without numbering (edits, search, and the
     * WebSocket connect): the chat's last message number, with a miss confirmed and healed first.
     * Throws NotFound for a parent neither Redis nor MySQL knows.
     */
    async knownChat(token: string, chatNumber: number): Promise<{ lastMessage: number }> {
      let numbering = await counters.chatNumbering(token, chatNumber);
      if ('missing' in numbering) {
        await this.confirmMiss({ token, chatNumber }, numbering.missing);
        numbering = await counters.chatNumbering(token, chatNumber);
        if ('missing' in numbering) throw numbering.missing === 'application' ? new NotFound('application', token) : new NotFound('chat', chatNumber);
      }
      return numbering;
    },
  };
};

export type CounterRecovery = ReturnType<typeof counterRecovery>;
