import { Client } from '@opensearch-project/opensearch';
import { config } from '../config';

let client: Client | undefined;

/** The one OpenSearch client of this container. */
export function opensearchClient(): Client {
  if (client) return client;
  const { url, auth, region } = config().opensearch;
  if (auth === 'sigv4') {
    // Amazon OpenSearch Service authorises the Lambda role through signed requests.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AwsSigv4Signer } = require('@opensearch-project/opensearch/aws') as typeof import('@opensearch-project/opensearch/aws');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { defaultProvider } = require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
    client = new Client({
      ...AwsSigv4Signer({ region, service: 'es', getCredentials: defaultProvider() }),
      node: url,
      requestTimeout: 5000,
      maxRetries: 1,
    });
  } else {
    client = new Client({ node: url, requestTimeout: 5000, maxRetries: 1 });
  }
  return client;
}
