// Types for consumers.js (CommonJS, loaded by serverless.yml).
declare function consumers(): Record<
  string,
  {
    handler: string;
    timeout: number;
    events: { sqs: { arn: unknown; batchSize: number; maximumBatchingWindow: number; functionResponseType: string } }[];
  }
>;
export = consumers;
