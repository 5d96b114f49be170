// Search figures for docs/search.md: index size per 1,000 messages (ours against two alternatives) and
// search latency. Against the local node of the test stage's environment, in indices of its own:
//   npm run bench:search [-- --messages 1000 --searches 100]
import { parseArgs } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import { localEnvironment } from '../../infra/local/environment';
import { ensureMessagesIndex, indexMessages, searchMessages, type SearchTarget } from '../../shared/adapters/search-index';
import { messagesIndexDefinition, messagesIndexName, MESSAGES_INDEX_VERSION, messageWrite, type SearchableMessage } from '../../shared/domain/search';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000' }, searches: { type: 'string', default: '100' } } });
const MESSAGES = Number(values.messages);
const SEARCHES = Number(values.searches);

// A small deterministic generator (mulberry32), so every run measures the same text.
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(42);
const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;

const ENGLISH = (
  'hey hi hello thanks sure okay meeting tomorrow today tonight morning lunch dinner coffee project deadline release deploy ' +
  'server database index search message chat team please could would should review merge branch feature bug fix issue ' +
  'customer support ticket invoice payment order delivery shipping address update status weekend holiday travel flight ' +
  'hotel booking schedule call video audio link document draft final version approved rejected waiting pending great ' +
  'awesome perfect sorry late early soon later maybe definitely absolutely unbelievable interesting complicated simple ' +
  'the a an and or but with without from into about for on in at by of to is are was were be been have has had will'
).split(' ');
const ARABIC = 'مرحبا كيف حالك اليوم غدا اجتماع شكرا جزيلا المشروع الموعد النهائي الرسالة البحث الفريق العميل الطلب'.split(' ');
const CJK = ['我们明天开会', '谢谢你的帮助', '项目的截止日期', '今天天气很好', '北京大学', 'こんにちは', 'ありがとうございます', '会議は明日です', '안녕하세요', '감사합니다'];
const EMOJI = ['🎉', '👍', '😂', '🚀', '❤️', '🙏', '👨‍👩‍👧', '🔥', '✅'];

function content(): string {
  const kind = rand();
  const words = 4 + Math.floor(rand() * 22);
  if (kind < 0.1) return Array.from({ length: Math.ceil(words / 2) }, () => pick(ARABIC)).join(' ');
  if (kind < 0.2) return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(CJK)).join('，');
  const text = Array.from({ length: words }, () => pick(ENGLISH)).join(' ');
  const sentence = text[0]!.toUpperCase() + text.slice(1) + pick(['.', '!', '?', '...', '']);
  return rand() < 0.25 ? `${sentence} ${pick(EMOJI)}${rand() < 0.5 ? pick(EMOJI) : ''}` : sentence;
}

const CHATS = 20;
const token = `benchTOKEN${Date.now().toString(36)}`;
const messages: SearchableMessage[] = Array.from({ length: MESSAGES }, (_, i) => {
  const at = new Date(Date.parse('2025-03-01T00:00:00Z') + i * 1000).toISOString();
  return { token, chatNumber: 1 + (i % CHATS), number: 1 + Math.floor(i / CHATS), content: content(), createdAt: at, updatedAt: at };
});

const env = localEnvironment('test');
const client = new Client({ node: env.OPENSEARCH_URL!, requestTimeout: 60_000 });
const prefix = `bench_${Date.now().toString(36)}_`;
const target: SearchTarget = { client, prefix };

async function sizeOf(index: string) {
  await client.indices.refresh({ index });
  await client.indices.forcemerge({ index, max_num_segments: 1 });
  // The merged-away segments' files go once no reader holds them: refresh and flush before measuring.
  await client.indices.refresh({ index });
  await client.indices.flush({ index });
  const { body } = await client.cat.indices({ index, bytes: 'b', format: 'json' });
  const [row] = body as unknown as { 'docs.count': string; 'pri.store.size': string }[];
  return { docs: Number(row!['docs.count']), bytes: Number(row!['pri.store.size']) };
}

/** The same documents in an index whose `content` mapping is replaced, for comparison. */
async function alternative(name: string, content: object, analysis: object = messagesIndexDefinition.settings.analysis) {
  const index = `${prefix}alt_${name}`;
  const { settings, mappings } = messagesIndexDefinition;
  await client.indices.create({
    index,
    body: { settings: { index: { ...settings.index, max_ngram_diff: 2 }, analysis }, mappings: { ...mappings, properties: { ...mappings.properties, content } } } as never,
  });
  for (let i = 0; i < messages.length; i += 500) {
    const body = messages.slice(i, i + 500).flatMap((m) => {
      const write = messageWrite(m);
      return [{ index: { _id: write.id, routing: write.routing } }, write.document];
    });
    await client.bulk({ index, body });
  }
  return sizeOf(index);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main() {
  await ensureMessagesIndex(target);
  const startedAt = performance.now();
  for (let i = 0; i < messages.length; i += 100) {
    const outcomes = await indexMessages(messages.slice(i, i + 100), target);
    if (outcomes.some((o) => !o.ok)) throw new Error('a bench document failed to index');
  }
  const ingestSeconds = (performance.now() - startedAt) / 1000;
  const ours = await sizeOf(messagesIndexName(prefix, MESSAGES_INDEX_VERSION));

  const words = await alternative('words_only', { type: 'text', analyzer: 'standard' });
  const ngram24 = await alternative(
    'ngram_2_4',
    { type: 'text', analyzer: 'grams', norms: false, fields: { words: { type: 'text', analyzer: 'standard' } } },
    { tokenizer: { grams: { type: 'ngram', min_gram: 2, max_gram: 4 } }, analyzer: { grams: { type: 'custom', tokenizer: 'grams', filter: ['lowercase'] } } },
  );

  // Fragments of 2–6 characters cut from real contents, searched in the message's own chat.
  const latencies: number[] = [];
  const took: number[] = [];
  let totalHits = 0;
  for (let i = 0; i < SEARCHES + 10; i++) {
    const message = pick(messages);
    const chars = [...message.content.replace(/\s+/gu, '')];
    const length = 2 + Math.floor(rand() * 5);
    const start = Math.floor(rand() * Math.max(1, chars.length - length));
    const q = chars.slice(start, start + length).join('');
    const t0 = performance.now();
    const result = await searchMessages({ token, chatNumber: message.chatNumber, q, page: 1, limit: 20 }, target);
    const elapsed = performance.now() - t0;
    if (i >= 10) {
      latencies.push(elapsed);
      totalHits += result.total;
    }
  }
  // The same searches, timed by OpenSearch itself (`took`), for a server-side view.
  for (let i = 0; i < SEARCHES; i++) {
    const message = pick(messages);
    const { body } = await client.search({
      index: `${prefix}messages`,
      routing: `${token}:${message.chatNumber}`,
      body: { query: { bool: { filter: [{ term: { token } }, { term: { chat_number: message.chatNumber } }, { match_phrase: { content: message.content.slice(2, 6) } }] } } },
    });
    took.push(body.took);
  }
  latencies.sort((a, b) => a - b);
  took.sort((a, b) => a - b);

  const perThousand = (bytes: number) => `${((bytes / MESSAGES) * 1000 / 1024).toFixed(0)} KiB`;
  const avgChars = messages.reduce((sum, m) => sum + [...m.content].length, 0) / messages.length;
  console.log(JSON.stringify({ messages: MESSAGES, chats: CHATS, avgContentChars: Math.round(avgChars), ingestSeconds: Number(ingestSeconds.toFixed(2)) }));
  console.log(`index size per 1,000 messages (primary store, after forcemerge to 1 segment):`);
  console.log(`  ours (bigrams + words):        ${perThousand(ours.bytes)}  (${ours.bytes} B for ${ours.docs} docs)`);
  console.log(`  ngram 2–4 + words (rejected):  ${perThousand(ngram24.bytes)}  (${ngram24.bytes} B)`);
  console.log(`  words only (no substrings):    ${perThousand(words.bytes)}  (${words.bytes} B)`);
  console.log(`search latency over ${SEARCHES} fragment searches (client round trip, highlight included):`);
  console.log(`  median ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, max ${latencies[latencies.length - 1]!.toFixed(1)} ms; mean hits ${(totalHits / SEARCHES).toFixed(1)}`);
  console.log(`  OpenSearch took (query only): median ${percentile(took, 50)} ms, p95 ${percentile(took, 95)} ms`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await client.indices.delete({ index: `${prefix}*` }, { ignore: [404] });
    await client.close();
  });
