import WebSocket from 'ws';
import { localPorts } from '../../infra/local/environment';
import type { LiveEvent } from '../../shared/domain/live';

/** The test API's WebSocket URL (its HTTP port + 1), or another instance's WebSocket port. */
export const liveUrl = (query: Record<string, string | number>, port = localPorts().testWebsocket) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) params.set(key, String(value));
  return `ws://127.0.0.1:${port}/?${params}`;
};

export interface LiveClient {
  socket: WebSocket;
  /** Every event received, in arrival order. */
  events: LiveEvent[];
  /** Every frame that was not a batch of events (pong, errors), parsed. */
  replies: unknown[];
  /** The arrays as received, one per frame, with the time each arrived. */
  frames: { events: LiveEvent[]; receivedAt: number }[];
  send(message: unknown): void;
  close(): Promise<void>;
}

/** A real WebSocket client (the `ws` package) on a chat; resolves once the server accepted it. */
export function openLive(token: string, chat: number | string): Promise<LiveClient> {
  const socket = new WebSocket(liveUrl({ token, chat }));
  const client: LiveClient = {
    socket,
    events: [],
    replies: [],
    frames: [],
    send: (message) => socket.send(JSON.stringify(message)),
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
  socket.on('message', (data) => {
    const parsed: unknown = JSON.parse(String(data));
    if (Array.isArray(parsed)) {
      client.frames.push({ events: parsed as LiveEvent[], receivedAt: Date.now() });
      client.events.push(...(parsed as LiveEvent[]));
    } else {
      client.replies.push(parsed);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
  });
}

/** The HTTP status a refused connection got (the handshake's answer). */
export function refusalStatus(query: Record<string, string | number>, port?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(liveUrl(query, port));
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('the connection was accepted'));
    });
    socket.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

/** Numbers of the events of one type, in arrival order. */
export const numbersOf = (client: LiveClient, type: LiveEvent['type'] = 'message.created') =>
  client.events.filter((event) => event.type === type).map((event) => event.number);
