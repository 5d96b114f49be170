/**
 * The JSON lines a piece of code writes to stdout and stderr (Powertools writes through its own
 * Console on the process streams, not through the global console), captured and parsed.
 */
export function captureJsonOutput() {
  const lines: Record<string, any>[] = [];
  const capture = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      if (line.trim().startsWith('{')) lines.push(JSON.parse(line));
    }
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
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
