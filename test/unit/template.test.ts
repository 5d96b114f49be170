import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { permissions } from '../../infra/permissions.js';
import { functionRole } from '../../infra/roles-plugin.js';
import { cfnLint, packageStage, templatePath, type CloudFormationTemplate } from '../../infra/template';

// The packaged prod stack, read as CloudFormation: runtime, one role per function with only what it
// calls, and cfn-lint clean. Packaged once for the whole file (about a minute), into its own folder.
let dir: string;
let template: CloudFormationTemplate;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-system-package-'));
  template = packageStage('prod', dir);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const resourcesOfType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const lambdaFunctions = () => resourcesOfType('AWS::Lambda::Function');
/** serverless names a function `<service>-<stage>-<name>`; the table is keyed by <name>. */
const functionName = (resource: { Properties?: Record<string, any> }) => String(resource.Properties!.FunctionName).replace(/^chat-system-prod-/, '');

/** A statement's resource, as a short name: a logical id for GetAtt, `search`, `websocket` or `*`. */
function resourceName(resource: unknown): string {
  if (resource === '*') return '*';
  const value = resource as Record<string, any>;
  if (value['Fn::GetAtt']) return value['Fn::GetAtt'][0];
  const sub = String(value['Fn::Sub'] ?? '');
  if (/:es:.*:domain\/chat-system-prod(\/\*)?$/.test(sub)) return 'search';
  if (sub.includes(':execute-api:') && sub.includes('/@connections/')) return 'websocket';
  return JSON.stringify(resource);
}

type Grants = Record<string, string[]>;

/** action → sorted resource names, over every statement of a role. */
function grantsOf(role: { Properties?: Record<string, any> }): Grants {
  const grants: Record<string, Set<string>> = {};
  for (const policy of role.Properties!.Policies) {
    for (const statement of policy.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of [].concat(statement.Action)) {
        grants[action] ??= new Set();
        for (const resource of [].concat(statement.Resource)) grants[action].add(resourceName(resource));
      }
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([action, resources]) => [action, [...resources].sort()]));
}

function roleOf(name: string) {
  const [, fn] = lambdaFunctions().find(([, resource]) => functionName(resource) === name)!;
  const roleId = fn.Properties!.Role['Fn::GetAtt'][0];
  return { roleId, role: template.Resources[roleId]! };
}

const queues = ['ChatsQueue', 'MessagesQueue'];
const everyQueue = ['ChatsDeadLetterQueue', 'ChatsQueue', 'MessagesDeadLetterQueue', 'MessagesQueue'];
const recovery = { 'sqs:GetQueueAttributes': queues };

/** What each function may call, beyond its own logs and the VPC network interfaces (issue 11). */
const EXPECTED_CALLS: Record<string, Grants> = {
  health: { 'sqs:GetQueueAttributes': everyQueue, 'es:ESHttpGet': ['search'] },
  openapi: {},
  notFound: {},
  createApp: recovery,
  getApp: {},
  updateApp: {},
  createChat: { 'sqs:SendMessage': ['ChatsQueue'], ...recovery },
  listChats: {},
  getChat: {},
  createMessage: { 'sqs:SendMessage': ['MessagesQueue'], ...recovery },
  listMessages: {},
  getMessage: {},
  updateMessage: { 'sqs:SendMessage': ['MessagesQueue'], ...recovery },
  searchMessages: { 'es:ESHttpGet': ['search'], 'es:ESHttpPost': ['search'], ...recovery },
  autocompleteMessages: { 'es:ESHttpGet': ['search'], 'es:ESHttpPost': ['search'], ...recovery },
  docs: {},
  wsConnect: recovery,
  wsDisconnect: {},
  wsPing: {},
  wsUnknownAction: {},
  persistChats: { 'sqs:ReceiveMessage': ['ChatsQueue'], 'sqs:DeleteMessage': ['ChatsQueue'], 'sqs:GetQueueAttributes': ['ChatsQueue'] },
  persistMessages: {
    'execute-api:ManageConnections': ['websocket'],
    'sqs:ReceiveMessage': ['MessagesQueue'],
    'sqs:DeleteMessage': ['MessagesQueue'],
    'sqs:GetQueueAttributes': ['MessagesQueue'],
    'es:ESHttpPost': ['search'],
    'es:ESHttpPut': ['search'],
    'es:ESHttpGet': ['search'],
  },
  recomputeCounts: {},
  migrate: { 'es:ESHttpGet': ['search'], 'es:ESHttpHead': ['search'], 'es:ESHttpPut': ['search'], 'es:ESHttpPost': ['search'] },
};

const VPC_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];

const sortedGrants = (grants: Grants) => Object.fromEntries(Object.entries(grants).map(([action, resources]) => [action, [...resources].sort()]).sort());

describe('the packaged prod template', () => {
  it('runs every function on nodejs24.x, arm64', () => {
    expect(lambdaFunctions().length).toBeGreaterThan(0);
    for (const [, fn] of lambdaFunctions()) {
      expect(fn.Properties!.Runtime).toBe('nodejs24.x');
      expect(fn.Properties!.Architectures).toEqual(['arm64']);
    }
  });

  it('gives every function its own role, and has no shared one', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    const roles = lambdaFunctions().map(([, fn]) => fn.Properties!.Role['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(roles.length);
    expect(lambdaFunctions().map(([, fn]) => functionName(fn)).sort()).toEqual(Object.keys(EXPECTED_CALLS).sort());
  });

  it.each(Object.keys(EXPECTED_CALLS))('%s: only the calls it makes, its own log group, and the VPC interfaces', (name) => {
    const { role } = roleOf(name);
    const grants = grantsOf(role);
    const logGroup = `${name.charAt(0).toUpperCase()}${name.slice(1)}LogGroup`;

    expect(grants['logs:CreateLogStream']).toEqual([logGroup]);
    expect(grants['logs:PutLogEvents']).toEqual([logGroup]);
    for (const action of VPC_ACTIONS) expect(grants[action]).toEqual(['*']);
    const calls = Object.fromEntries(Object.entries(grants).filter(([action]) => !action.startsWith('logs:') && !VPC_ACTIONS.includes(action)));
    expect(sortedGrants(calls)).toEqual(sortedGrants(EXPECTED_CALLS[name]!));
  });

  it('uses a `*` resource only for the VPC network interface actions, which AWS requires', () => {
    for (const [id, role] of resourcesOfType('AWS::IAM::Role')) {
      for (const policy of role.Properties!.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          if ([].concat(statement.Resource).includes('*' as never)) {
            expect({ id, sid: statement.Sid, actions: [...statement.Action].sort() }).toEqual({
              id,
              sid: 'VpcNetworkInterfacesAwsRequiresAnyResource',
              actions: VPC_ACTIONS,
            });
          }
        }
      }
    }
  });

  it('admits exactly the roles that call the search domain to it', () => {
    const [, domain] = resourcesOfType('AWS::OpenSearchService::Domain')[0]!;
    const principals = domain.Properties!.AccessPolicies.Statement[0].Principal.AWS.map((p: any) => p['Fn::GetAtt'][0]).sort();
    const searchers = Object.keys(EXPECTED_CALLS).filter((name) => Object.values(EXPECTED_CALLS[name]!).some((r) => r.includes('search')));
    expect(principals).toEqual(searchers.map((name) => roleOf(name).roleId).sort());
  });

  it('requires TLS between the functions and RDS Proxy', () => {
    const [, proxy] = resourcesOfType('AWS::RDS::DBProxy')[0]!;
    expect(proxy.Properties!.RequireTLS).toBe(true);
    for (const [, fn] of lambdaFunctions()) {
      const environment = fn.Properties!.Environment.Variables;
      expect(environment.MYSQL_TLS).toBe('true');
      expect(environment.REDIS_URL['Fn::Sub']).toMatch(/^rediss:\/\//);
      expect(environment.OPENSEARCH_URL['Fn::Sub']).toMatch(/^https:\/\//);
    }
  });

  it('alarms on DLQ depth, oldest message age, consumer errors and the API 5xx rate, to the AlarmTopicArn topic', () => {
    const alarms = Object.fromEntries(resourcesOfType('AWS::CloudWatch::Alarm'));
    const on = (metricName: string) =>
      Object.values(alarms)
        .filter((alarm) => alarm.Properties!.MetricName === metricName)
        .map((alarm) => alarm.Properties!.Dimensions[0].Value);

    expect(on('ApproximateNumberOfMessagesVisible').sort()).toEqual([
      { 'Fn::GetAtt': ['ChatsDeadLetterQueue', 'QueueName'] },
      { 'Fn::GetAtt': ['MessagesDeadLetterQueue', 'QueueName'] },
    ]);
    expect(on('ApproximateAgeOfOldestMessage')).toEqual([{ 'Fn::GetAtt': ['ChatsQueue', 'QueueName'] }, { 'Fn::GetAtt': ['MessagesQueue', 'QueueName'] }]);
    expect(on('Errors')).toEqual([{ Ref: 'PersistChatsLambdaFunction' }, { Ref: 'PersistMessagesLambdaFunction' }]);
    const api = alarms.Api5xxRateAlarm!.Properties!;
    expect(api.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName ?? m.Expression)).toEqual(['5xx', 'Count', expect.stringContaining('errors / requests')]);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties!.AlarmActions).toEqual({ 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] });
    }
    expect(template.Parameters!.AlarmTopicArn).toMatchObject({ Type: 'String', Default: '' });
  });

  it('has one dashboard', () => {
    expect(resourcesOfType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });

  it('passes cfn-lint with no error and no warning', () => {
    const { status, output } = cfnLint(templatePath(dir));
    expect(output).toBe('');
    expect(status).toBe(0);
  });
});

describe('roles from infra/permissions.js', () => {
  it('grant the messages consumer @connections of the stage on a WebSocket API, once the stack has one', () => {
    const options = { stage: 'prod', inVpc: false, logGroupId: 'PersistMessagesLogGroup' };
    const withApi = grantsOf(functionRole('persistMessages', { ...options, resources: { WebsocketsApi: {} } }));
    const withoutApi = grantsOf(functionRole('persistMessages', { ...options, resources: {} }));

    expect(withApi['execute-api:ManageConnections']).toEqual(['websocket']);
    expect(withoutApi['execute-api:ManageConnections']).toBeUndefined();
    const statement = functionRole('persistMessages', { ...options, resources: { WebsocketsApi: {} } })
      .Properties.Policies[0]!.PolicyDocument.Statement.find((s: any) => s.Action.includes('execute-api:ManageConnections'));
    expect(statement.Resource[0]['Fn::Sub']).toContain('${WebsocketsApi}/prod/*/@connections/*');
  });

  it('refuse a function without a row', () => {
    expect(() => functionRole('newFunction', { stage: 'prod', inVpc: false, logGroupId: 'X', resources: {} })).toThrow(/no row for function "newFunction"/);
    expect(permissions.createChat).toBeDefined();
  });
});

describe('runtimes (serverless.yml)', () => {
  const config = load(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8')) as any;
  const nodeMajor = (runtime: string) => Number(/^nodejs(\d+)\.x$/.exec(runtime)![1]);

  it('AWS stages on nodejs24.x; local stages on a runtime serverless-offline 13.9 accepts (≤ nodejs22.x)', () => {
    expect(config.provider.runtime).toBe('${param:runtime}');
    expect(config.params.default.runtime).toBe('nodejs24.x');
    for (const stage of ['local', 'test']) expect(nodeMajor(config.params[stage].runtime)).toBeLessThanOrEqual(22);
  });

  it('bundles for the lowest Node any stage runs on', () => {
    const lowest = Math.min(...Object.values(config.params as Record<string, { runtime: string }>).map((p) => nodeMajor(p.runtime)));
    expect(config.custom.esbuild.target).toBe(`node${lowest}`);
  });
});
