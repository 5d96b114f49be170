// Closes the connections the helpers opened, so each test file ends cleanly and jest exits.
import { closeTestDb } from './db';
import { closeQueues } from './queues';

afterAll(async () => {
  await closeTestDb();
  closeQueues();
});
