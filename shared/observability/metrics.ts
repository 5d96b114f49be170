/**
 * Business and operational metrics, one call per fact. Written as CloudWatch Embedded Metric Format
 * lines so they cost no API call on AWS; the deploy work replaces the body with Powertools Metrics
 * behind this same signature, so callers never change.
 */
export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'Bytes';

export function recordMetric(name: string, value = 1, unit: MetricUnit = 'Count', dimensions: Record<string, string> = {}): void {
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: 'ChatSystem', Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: name, Unit: unit }] }],
    },
    ...dimensions,
    [name]: value,
  };
  console.log(JSON.stringify(line));
}
