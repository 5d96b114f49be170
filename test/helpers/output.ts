/** The JSON lines a piece of code writes to the console (logs and EMF metrics), captured and parsed. */
export function captureJsonOutput() {
  const lines: Record<string, any>[] = [];
  const capture = (...[line]: unknown[]) => {
    if (String(line).trim().startsWith('{')) lines.push(JSON.parse(String(line)));
  };
  const spies = (['log', 'warn', 'error'] as const).map((level) => jest.spyOn(console, level).mockImplementation(capture));
  return {
    lines,
    /** The EMF lines, as { metric name: value } with their dimensions. */
    metrics: () =>
      lines
        .filter((line) => line._aws)
        .flatMap((line) => line._aws.CloudWatchMetrics[0].Metrics.map((metric: { Name: string; Unit: string }) => ({ ...line, name: metric.Name, unit: metric.Unit, value: line[metric.Name] }))),
    logs: () => lines.filter((line) => !line._aws),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
