// What every benchmark of `npm run bench` needs once: the test stage's environment, its services
// started or reused, its schema, queues and index; and afterwards the services it started stopped.
import { localEnvironment } from '../../infra/local/environment';
import { ensureServices, prepareStage, provisionDatabases, stopServices } from '../../infra/local/platform';

Object.assign(process.env, localEnvironment('test'), { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

export async function onTestStage(benchmarks: () => Promise<void>): Promise<void> {
  const services = await ensureServices();
  try {
    await provisionDatabases(['test']);
    await prepareStage('test');
    await benchmarks();
  } finally {
    if (services.started.length) await stopServices();
  }
}
