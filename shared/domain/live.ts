import { AppError } from './errors';
import type { MessageRecord } from './records';
import type { SearchableMessage } from './search';

/**
 * Live updates, as data: what a WebSocket client receives after a batch of the messages queue is
 * persisted (MySQL and OpenSearch), and how a batch becomes frames. No client here: the consumer's
 * notifier (shared/services/live.ts) sends them through the API Gateway Management API.
 */

/** One event, in the API's field names. Its content and timestamps are what MySQL holds. */
export interface LiveEvent {
  type: MessageRecord['type'];
  chat_number: number;
  number: number;
  content: string;
  created_at: string;
  updated_at: string;
}

/** A chat's address, the unit connections subscribe to. */
export interface ChatAddress {
  token: string;
  chatNumber: number;
}

/**
 * API Gateway refuses a WebSocket message over 128 KiB; stay below it with room for the framing.
 * A single event is at most ~40 KB (10,000 characters of 4-byte UTF-8), so every event fits.
 */
export const MAX_FRAME_BYTES = 120 * 1024;

const chatId = (token: string, chatNumber: number) => `${token}\n${chatNumber}`;
const messageId = (token: string, chatNumber: number, number: number) => `${chatId(token, chatNumber)}\n${number}`;

/**
 * The events of a persisted batch, per chat, in number order (a create before an edit of the same
 * message): one per stored record, each carrying the stored row (so a late create of an edited
 * message shows the edited content). A record without a stored row is skipped.
 */
export function liveEventsByChat(stored: MessageRecord[], rows: SearchableMessage[]): Map<string, { chat: ChatAddress; events: LiveEvent[] }> {
  const rowOf = new Map(rows.map((row) => [messageId(row.token, row.chatNumber, row.number), row]));
  const seen = new Set<string>();
  const byChat = new Map<string, { chat: ChatAddress; events: LiveEvent[] }>();
  for (const record of stored) {
    const key = messageId(record.token, record.chatNumber, record.number);
    const row = rowOf.get(key);
    // A redelivered duplicate in the same batch is one event.
    if (!row || seen.has(`${key}\n${record.type}`)) continue;
    seen.add(`${key}\n${record.type}`);
    const id = chatId(record.token, record.chatNumber);
    let entry = byChat.get(id);
    if (!entry) byChat.set(id, (entry = { chat: { token: record.token, chatNumber: record.chatNumber }, events: [] }));
    entry.events.push({
      type: record.type,
      chat_number: record.chatNumber,
      number: record.number,
      content: row.content,
      created_at: row.createdAt,
      updated_at: row.updatedAt,
    });
  }
  const order = (type: LiveEvent['type']) => (type === 'message.created' ? 0 : 1);
  for (const { events } of byChat.values()) events.sort((a, b) => a.number - b.number || order(a.type) - order(b.type));
  return byChat;
}

/**
 * The frames of one chat's events: JSON arrays of events in order, as few as fit under `maxBytes`
 * (one per batch unless the batch is larger than API Gateway accepts in one message).
 */
export function framesOf(events: LiveEvent[], maxBytes = MAX_FRAME_BYTES): string[] {
  const frames: string[] = [];
  let current: string[] = [];
  let size = 2; // the brackets
  for (const event of events) {
    const json = JSON.stringify(event);
    const bytes = Buffer.byteLength(json) + 1; // and its comma
    if (current.length > 0 && size + bytes > maxBytes) {
      frames.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(json);
    size += bytes;
  }
  if (current.length > 0) frames.push(`[${current.join(',')}]`);
  return frames;
}

/** What the server answers on the WebSocket to anything but `{"action":"ping"}`. */
export class UnknownAction extends AppError {
  constructor() {
    super(400, 'unknown_action', 'send {"action":"ping"} to keep the connection alive; messages are pushed, nothing else is accepted');
  }
}
