import { Client } from '@opensearch-project/opensearch';
import { config, type Config } from '../config';

/** A client whose requests have a deadline: requestTimeout × (maxRetries + 1) stays inside a request (config.ts). */
export function createOpensearchClient(opensearch: Config['opensearch'] = config().opensearch): Client {
  const { url, auth, region, requestTimeoutMs: requestTimeout, maxRetries } = opensearch;
  if (auth === 'sigv4') {
    // Amazon OpenSearch Service authorises the Lambda role through signed requests.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AwsSigv4Signer } = require('@opensearch-project/opensearch/aws') as typeof import('@opensearch-project/opensearch/aws');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { defaultProvider } = require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
    return new Client({
      ...AwsSigv4Signer({ region, service: 'es', getCredentials: defaultProvider() }),
      node: url,
      requestTimeout,
      maxRetries,
    });
  }
  return new Client({ node: url, requestTimeout, maxRetries });
}

let client: Client | undefined;

/** The one OpenSearch client of this container. */
export function opensearchClient(): Client {
  client ??= createOpensearchClient();
  return client;
}
