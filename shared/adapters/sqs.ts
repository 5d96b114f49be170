import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from '../config';

let client: SQSClient | undefined;

/** The one SQS client of this container; locally it points at the SQS-compatible server. */
export function sqsClient(): SQSClient {
  const { region, endpoint } = config().sqs;
  client ??= new SQSClient({ region, endpoint, maxAttempts: 2 });
  return client;
}
