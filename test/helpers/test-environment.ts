// Runs before every integration test file: the code under test reads the same environment the
// test stage's Lambdas get, so direct adapter calls and HTTP calls see the same database and queues.
import { localEnvironment, localPorts } from '../../infra/local/environment';

Object.assign(process.env, localEnvironment('test'));
process.env.TEST_API_URL ??= `http://127.0.0.1:${localPorts().testHttp}`;
