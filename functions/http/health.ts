import { config } from '../../shared/config';
import { httpHandler } from '../../shared/http/handler';
import { json } from '../../shared/http/responses';
import { checkHealth } from '../../shared/services/health';
import { dependencyProbes } from '../../shared/services/probes';

export const handler = httpHandler(async () => {
  const report = await checkHealth(dependencyProbes(), undefined, config().sqs.backend);
  return json(report.status === 'ok' ? 200 : 503, report, report.status === 'ok' ? {} : { 'Retry-After': '5' });
});
