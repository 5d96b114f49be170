import { randomUUID } from 'node:crypto';
import { eventually } from '../helpers/eventually';
import { drainDeadLetters, queueDepth, queueUrl, sendRaw } from '../helpers/queues';
import { queues } from '../../infra/queues.json';

describe('SQS delivery to the consumers (local event source mapping)', () => {
  it('deletes the records a batch processed, retries only the failed one, and redrives it to the DLQ', async () => {
    const marker = randomUUID();
    const poison = JSON.stringify({ type: 'not-a-chat', marker });
    const valid = [1, 2].map((number) =>
      JSON.stringify({ type: 'chat.created', token: `delivery-${marker}`, number, createdAt: new Date().toISOString() }),
    );
    await Promise.all([sendRaw('chats', valid[0]!), sendRaw('chats', poison), sendRaw('chats', valid[1]!)]);

    const deadLetters = await eventually(
      async () => {
        const messages = await drainDeadLetters('chats');
        expect(messages.map((m) => m.Body)).toContain(poison);
        return messages;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );

    const dead = deadLetters.find((m) => m.Body === poison)!;
    expect(Number(dead.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(queues.chats.maxReceiveCount);
    expect(deadLetters.map((m) => m.Body)).not.toEqual(expect.arrayContaining([valid[0]]));
    expect(deadLetters.map((m) => m.Body)).not.toEqual(expect.arrayContaining([valid[1]]));
    await eventually(async () => expect(await queueDepth(queueUrl('chats'))).toBe(0));
  });
});
