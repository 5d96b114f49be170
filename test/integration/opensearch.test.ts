const analyze = async (body: unknown) => {
  const response = await fetch(`${process.env.OPENSEARCH_URL}/_analyze`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { tokens: { token: string }[] }).tokens.map((t) => t.token);
};

describe('the local OpenSearch node', () => {
  it('has analysis-common: the ngram tokenizer splits a word into grams', async () => {
    const tokens = await analyze({ tokenizer: { type: 'ngram', min_gram: 2, max_gram: 3 }, text: 'chat' });

    expect(tokens).toEqual(['ch', 'cha', 'ha', 'hat', 'at']);
  });

  it('has analysis-common: the edge_ngram tokenizer gives prefixes', async () => {
    const tokens = await analyze({ tokenizer: { type: 'edge_ngram', min_gram: 1, max_gram: 4 }, text: 'hello' });

    expect(tokens).toEqual(['h', 'he', 'hel', 'hell']);
  });
});
