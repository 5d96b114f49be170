// npm run bench [-- --requests 400 --concurrency 16]: the figures of DESIGN §5 in one run.
import { onTestStage } from './stage';
import { benchApi } from './api';
import { benchIngest } from './ingest';

onTestStage(async () => {
  await benchApi();
  await benchIngest();
}).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
