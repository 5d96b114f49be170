// The AWS cost model of docs/bench/README.md: requests and GB-seconds per 1M messages, from the calls
// the bench counted and the durations it measured, plus the fixed monthly cost of the data stores at
// the default sizes of infra/resources.js. Prices: us-east-1, on-demand list prices (PRICE_LIST_DATE).

export const PRICE_LIST_DATE = '2025-06 (us-east-1 on-demand list prices; re-check https://aws.amazon.com/pricing before relying on them)';

export const PRICES = {
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  httpApiPerMillion: 1.0,
  sqsPerMillion: 0.4,
  auroraAcuHour: 0.12,
  rdsProxyAcuHour: 0.015,
  rdsProxyMinimumAcu: 8,
  elasticacheT4gSmallHour: 0.032,
  opensearchM6gLargeHour: 0.128,
  gp3GbMonth: 0.122,
};

/** infra/resources.js defaults (settings and fixed counts), and serverless.yml's memorySize. */
export const DEFAULT_SIZES = {
  lambdaMemoryGb: 0.5,
  auroraInstances: 2,
  auroraMinAcu: 0.5,
  redisNodes: 2,
  opensearchNodes: 2,
  opensearchVolumeGb: 20,
};

const HOURS_PER_MONTH = 730;

export interface CostInputs {
  /** Mean duration of the create-message handler, one request at a time (ms). */
  createMs: number;
  /** Mean duration of the messages consumer on a batch of `batchSize` records (ms). */
  consumerBatchMs: number;
  batchSize: number;
  /** SQS requests per message, counted: SendMessage + the consumer side's receives and deletes. */
  sqsRequestsPerMessage: number;
}

export function costPerMillionMessages(inputs: CostInputs) {
  const { lambdaMemoryGb } = DEFAULT_SIZES;
  const million = 1_000_000;
  const createInvocations = million;
  const consumerInvocations = million / inputs.batchSize;
  const createGbSeconds = createInvocations * (Math.ceil(inputs.createMs) / 1000) * lambdaMemoryGb;
  const consumerGbSeconds = consumerInvocations * (Math.ceil(inputs.consumerBatchMs) / 1000) * lambdaMemoryGb;
  const sqsRequests = million * inputs.sqsRequestsPerMessage;
  const usd = {
    apiGateway: (million / million) * PRICES.httpApiPerMillion,
    lambdaRequests: ((createInvocations + consumerInvocations) / million) * PRICES.lambdaRequestPerMillion,
    lambdaDuration: (createGbSeconds + consumerGbSeconds) * PRICES.lambdaArmGbSecond,
    sqs: (sqsRequests / million) * PRICES.sqsPerMillion,
  };
  const total = Object.values(usd).reduce((sum, value) => sum + value, 0);
  return {
    requests: { apiGateway: million, lambda: createInvocations + consumerInvocations, sqs: Math.round(sqsRequests) },
    gbSeconds: { create: Math.round(createGbSeconds), consumer: Math.round(consumerGbSeconds) },
    usd: Object.fromEntries(Object.entries({ ...usd, total }).map(([k, v]) => [k, Math.round(v * 100) / 100])),
  };
}

export function fixedMonthlyCost() {
  const s = DEFAULT_SIZES;
  const usd = {
    auroraMinimum: s.auroraInstances * s.auroraMinAcu * PRICES.auroraAcuHour * HOURS_PER_MONTH,
    rdsProxy: PRICES.rdsProxyMinimumAcu * PRICES.rdsProxyAcuHour * HOURS_PER_MONTH,
    redis: s.redisNodes * PRICES.elasticacheT4gSmallHour * HOURS_PER_MONTH,
    opensearch: s.opensearchNodes * (PRICES.opensearchM6gLargeHour * HOURS_PER_MONTH + s.opensearchVolumeGb * PRICES.gp3GbMonth),
  };
  const total = Object.values(usd).reduce((sum, value) => sum + value, 0);
  return Object.fromEntries(Object.entries({ ...usd, total }).map(([k, v]) => [k, Math.round(v * 100) / 100]));
}
