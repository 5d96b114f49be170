'use strict';
// Least privilege: every function gets its own IAM role, written from the one table of what it calls
// (infra/permissions.js). A plugin rather than static resources because the role of a function needs
// what only packaging knows: the function list (a function without a row stops the package), its log
// group, whether it runs in a VPC, and whether the template has a WebSocket API to grant on.
const { permissions, roleLogicalId } = require('./permissions.js');
const { logicalQueueId, logicalDeadLetterQueueId, openSearchDomainName } = require('./resources.js');

const WEBSOCKET_API = 'WebsocketsApi';

/**
 * Lambda attaches a VPC function through network interfaces it creates with the function's role.
 * These EC2 actions take no resource-level scoping that works for Lambda (Describe* never does), so
 * AWS requires `*` here: the same actions as the managed AWSLambdaVPCAccessExecutionRole, without its
 * logs:* on `*`.
 */
const VPC_NETWORK_INTERFACES = {
  Sid: 'VpcNetworkInterfacesAwsRequiresAnyResource',
  Effect: 'Allow',
  Action: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  Resource: '*',
};

/** The CloudFormation ARNs a resource name of the table stands for (none when the stack has no such thing). */
function resolveResource(name, { stage, resources }) {
  const [kind, key] = name.split(':');
  if (kind === 'queue') return [{ 'Fn::GetAtt': [logicalQueueId(key), 'Arn'] }];
  if (kind === 'deadLetterQueue') return [{ 'Fn::GetAtt': [logicalDeadLetterQueueId(key), 'Arn'] }];
  if (kind === 'search') {
    // From the name, not GetAtt: the domain's access policy names these roles (no cycle).
    const domain = `arn:\${AWS::Partition}:es:\${AWS::Region}:\${AWS::AccountId}:domain/${openSearchDomainName(stage)}`;
    return [{ 'Fn::Sub': domain }, { 'Fn::Sub': `${domain}/*` }];
  }
  if (kind === 'websocket') {
    if (!resources[WEBSOCKET_API]) return [];
    return [{ 'Fn::Sub': `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${WEBSOCKET_API}}/${stage}/*/@connections/*` }];
  }
  throw new Error(`infra/permissions.js: unknown resource "${name}"`);
}

/**
 * The role of one function: its table row, its own log group, and the VPC actions when it runs in a
 * VPC. Pure, so a unit test can build roles for templates packaging does not produce here.
 */
function functionRole(functionName, { stage, resources, inVpc, logGroupId }) {
  const grants = permissions[functionName];
  if (!grants) {
    throw new Error(`infra/permissions.js has no row for function "${functionName}": add what it calls (or [] for nothing)`);
  }
  const statements = [
    { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }] },
  ];
  for (const grant of grants) {
    const resolved = grant.resources.flatMap((name) => resolveResource(name, { stage, resources }));
    if (resolved.length) statements.push({ Effect: 'Allow', Action: [...grant.actions], Resource: resolved });
  }
  if (inVpc) statements.push(VPC_NETWORK_INTERFACES);
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: `${functionName}-calls`, PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    },
  };
}

/** The logical ids a piece of template refers to through Ref, Fn::GetAtt or Fn::Sub. */
function referencedIds(node, found = new Set()) {
  if (Array.isArray(node)) node.forEach((item) => referencedIds(item, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') found.add(value);
      else if (key === 'Fn::GetAtt') found.add(Array.isArray(value) ? value[0] : String(value).split('.')[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value;
        for (const [, name] of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) found.add(name);
        if (Array.isArray(value)) referencedIds(value[1], found);
      } else referencedIds(value, found);
    }
  }
  return found;
}

/**
 * Drops the DependsOn entries serverless writes for dependencies a Ref or GetAtt already enforces
 * (cfn-lint W3005): CloudFormation orders the resources the same way without them.
 */
function dropRedundantDependsOn(resources) {
  for (const resource of Object.values(resources)) {
    if (!resource.DependsOn) continue;
    const referenced = referencedIds(resource.Properties ?? {});
    const kept = [].concat(resource.DependsOn).filter((id) => !referenced.has(id));
    if (kept.length) resource.DependsOn = kept;
    else delete resource.DependsOn;
  }
}

class PerFunctionRoles {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // Before serverless decides whether it needs its shared role: with every function on its own
      // role, it creates none.
      'before:package:setupProviderConfiguration': () => this.assignRoles(),
      // After the events are compiled, so the WebSocket API (if any) is in the template.
      'before:package:finalize': () => {
        this.addRoles();
        dropRedundantDependsOn(this.serverless.service.provider.compiledCloudFormationTemplate.Resources);
      },
    };
  }

  assignRoles() {
    const { service } = this.serverless;
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      if (fn.role) throw new Error(`function "${name}" sets its own role; write its calls in infra/permissions.js instead`);
      if (!permissions[name]) functionRole(name, {}); // throws with the missing row's name
      fn.role = roleLogicalId(name);
    }
  }

  addRoles() {
    const { service } = this.serverless;
    const stage = service.provider.stage;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    for (const name of service.getAllFunctions()) {
      const inVpc = Boolean(service.getFunction(name).vpc || service.provider.vpc);
      const logGroupId = this.serverless.getProvider('aws').naming.getLogGroupLogicalId(name);
      resources[roleLogicalId(name)] = functionRole(name, { stage, resources, inVpc, logGroupId });
    }
  }
}

module.exports = PerFunctionRoles;
module.exports.functionRole = functionRole;
module.exports.roleLogicalId = roleLogicalId;
