import { Metrics } from '@aws-lambda-powertools/metrics';
import { writeThroughProcessConsole } from './logger';

/**
 * Business and operational metrics, one call per fact, written by Powertools Metrics as CloudWatch
 * Embedded Metric Format lines (no API call). Every metric carries the `service` dimension.
 */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'Bytes';

export const METRICS_NAMESPACE = 'ChatSystem';
export const SERVICE_NAME = 'chat-system';

const metrics = writeThroughProcessConsole(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }));

/**
 * Records one value. Without dimensions it is buffered and written once per invocation
 * ({@link flushMetrics}, called by the HTTP and batch handlers); with dimensions it is written at once,
 * on its own line, so its dimensions never leak onto other metrics.
 */
export function recordMetric(name: string, value = 1, unit: MetricUnit = 'Count', dimensions: Record<string, string> = {}): void {
  if (Object.keys(dimensions).length === 0) {
    metrics.addMetric(name, unit, value);
    return;
  }
  const single = writeThroughProcessConsole(metrics.singleMetric());
  single.addDimensions(dimensions);
  single.addMetric(name, unit, value);
}

/** Writes the buffered metrics of this invocation (nothing when there are none). */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
