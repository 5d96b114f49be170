'use strict';
// CloudFormation resources.
//
// Every stage gets the queues, built from the single queue definition (infra/queues.json).
// Local stages (local, test) stop there: `npm start` runs MySQL, Redis, SQS and OpenSearch on
// 127.0.0.1. Every other stage also gets the data stores, in the operator's VPC:
//   Aurora MySQL 3 (Serverless v2) behind RDS Proxy, credentials generated into Secrets Manager;
//   ElastiCache Redis (replication group, TLS, encryption at rest, AUTH token);
//   Amazon OpenSearch Service 2.19 (VPC, encryption at rest, node-to-node, HTTPS only, IAM access).
// The Lambda functions join the VPC through `provider.vpc` (the `vpc` export below).
//
// Settings are read at package time, each from a Serverless param or an environment variable
// (`--param="vpcId=vpc-0abc"` or `VPC_ID=vpc-0abc`). The VPC ones become the defaults of typed
// CloudFormation parameters: packaging works without them (the template stays valid), and a deploy
// without them stops before it changes anything ("Parameters: [VpcId, VpcSubnetIds] must have values").
const { queues } = require('./queues.json');
const { roleLogicalId, searchUsers } = require('./permissions.js');
const observability = require('./observability.js');

const SERVICE = 'chat-system';
const LOCAL_STAGES = new Set(['local', 'test']);
const isLocalStage = (stage) => LOCAL_STAGES.has(stage);

/** The database user CloudFormation creates; the password is generated into Secrets Manager. */
const DATABASE_USER = 'chat';
const DATABASE_NAME = 'chat';
const DATABASE_PORT = 3306;

/**
 * How long RDS Proxy lets a statement wait for a database connection before it answers with an
 * error. Below the HTTP functions' 10 s timeout and the application's 3 s per-statement deadline
 * (MYSQL_QUERY_TIMEOUT_MS), so a saturated database becomes a 503 with Retry-After, not a timeout.
 */
const PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS = 2;

const pascal = (key) => key.charAt(0).toUpperCase() + key.slice(1);
const logicalQueueId = (key) => `${pascal(key)}Queue`;
const logicalDeadLetterQueueId = (key) => `${pascal(key)}DeadLetterQueue`;

/** Logical ids of the AWS-only resources that infra/environment.js reads. */
const ids = {
  lambdaSecurityGroup: 'LambdaSecurityGroup',
  dataSecurityGroup: 'DataSecurityGroup',
  databaseSecret: 'DatabaseSecret',
  databaseCluster: 'DatabaseCluster',
  databaseProxy: 'DatabaseProxy',
  redisAuthSecret: 'RedisAuthSecret',
  redis: 'RedisReplicationGroup',
  openSearch: 'OpenSearchDomain',
  // Created by serverless from the `websocket` events (infra/functions.yml), not by this file.
  websocketApi: 'WebsocketsApi',
};

/** Settings of the AWS stages: [Serverless param, environment variable, default]. */
const SETTINGS = {
  vpcId: ['vpcId', 'VPC_ID', null],
  vpcSubnetIds: ['vpcSubnetIds', 'VPC_SUBNET_IDS', null],
  vpcSecurityGroupIds: ['vpcSecurityGroupIds', 'VPC_SECURITY_GROUP_IDS', null],
  sqsVpcEndpoint: ['sqsVpcEndpoint', 'SQS_VPC_ENDPOINT', 'false'],
  databaseEngineVersion: ['databaseEngineVersion', 'DATABASE_ENGINE_VERSION', '8.0.mysql_aurora.3.10.0'],
  databaseMinCapacity: ['databaseMinCapacity', 'DATABASE_MIN_CAPACITY', '0.5'],
  databaseMaxCapacity: ['databaseMaxCapacity', 'DATABASE_MAX_CAPACITY', '8'],
  databaseInstances: ['databaseInstances', 'DATABASE_INSTANCES', '2'],
  redisNodeType: ['redisNodeType', 'REDIS_NODE_TYPE', 'cache.t4g.small'],
  // Issue 9: where the counters live. Default: memorydb for prod, elasticache elsewhere.
  counterStore: ['counterStore', 'COUNTER_STORE', null],
  memoryDbNodeType: ['memoryDbNodeType', 'MEMORYDB_NODE_TYPE', 'db.t4g.small'],
  openSearchInstanceType: ['openSearchInstanceType', 'OPENSEARCH_INSTANCE_TYPE', 'm6g.large.search'],
  openSearchVolumeSize: ['openSearchVolumeSize', 'OPENSEARCH_VOLUME_SIZE', '20'],
  deletionProtection: ['deletionProtection', 'DELETION_PROTECTION', null],
  alarmTopicArn: ['alarmTopicArn', 'ALARM_TOPIC_ARN', null],
};

async function stageOf({ resolveVariable }) {
  return resolveVariable('sls:stage');
}

async function settingsOf({ resolveVariable }, stage) {
  const settings = {};
  for (const [name, [param, env, fallback]] of Object.entries(SETTINGS)) {
    const value = await resolveVariable(`param:${param}, env:${env}, null`);
    settings[name] = value === null || value === undefined || String(value).trim() === '' ? fallback : String(value).trim();
  }
  return validate(settings, stage);
}

const list = (value) => (value ? value.split(',').map((item) => item.trim()).filter(Boolean) : []);

function validate(settings, stage) {
  const fail = (message) => {
    throw new Error(`infra/resources.js (stage "${stage}"): ${message}`);
  };
  const subnets = list(settings.vpcSubnetIds);
  const groups = list(settings.vpcSecurityGroupIds);
  if (settings.vpcId && !/^vpc-[0-9a-f]+$/.test(settings.vpcId)) fail(`vpcId "${settings.vpcId}" is not a VPC id`);
  if (settings.alarmTopicArn && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$/.test(settings.alarmTopicArn)) {
    fail(`alarmTopicArn "${settings.alarmTopicArn}" is not an SNS topic ARN`);
  }
  for (const subnet of subnets) if (!/^subnet-[0-9a-f]+$/.test(subnet)) fail(`"${subnet}" is not a subnet id`);
  if (subnets.length === 1) fail('vpcSubnetIds needs at least two private subnets in different Availability Zones');
  for (const group of groups) if (!/^sg-[0-9a-f]+$/.test(group)) fail(`"${group}" is not a security group id`);
  // A Lambda function takes at most 5 security groups; the stack adds its own.
  if (groups.length > 4) fail('vpcSecurityGroupIds takes at most 4 security groups');
  const number = (name, min, max, integer = false) => {
    const value = Number(settings[name]);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      fail(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
    }
    return value;
  };
  const bool = (name) => {
    if (!/^(true|false)$/.test(settings[name])) fail(`${name} must be true or false`);
    return settings[name] === 'true';
  };
  if (settings.deletionProtection === null) settings.deletionProtection = String(stage === 'prod');
  if (settings.counterStore === null) settings.counterStore = stage === 'prod' ? 'memorydb' : 'elasticache';
  if (!COUNTER_STORES.includes(settings.counterStore)) fail(`counterStore "${settings.counterStore}" is not one of ${COUNTER_STORES.join(', ')}`);
  const result = {
    ...settings,
    vpcSubnetIds: subnets,
    vpcSecurityGroupIds: groups,
    sqsVpcEndpoint: bool('sqsVpcEndpoint'),
    deletionProtection: bool('deletionProtection'),
    databaseMinCapacity: number('databaseMinCapacity', 0, 256),
    databaseMaxCapacity: number('databaseMaxCapacity', 1, 256),
    databaseInstances: number('databaseInstances', 1, 16, true),
    openSearchVolumeSize: number('openSearchVolumeSize', 10, 16384, true),
  };
  if (result.databaseMinCapacity > result.databaseMaxCapacity) fail('databaseMinCapacity exceeds databaseMaxCapacity');
  return result;
}

/** The OpenSearch domain name: 3-28 characters, lowercase letters, digits and hyphens. */
function openSearchDomainName(stage) {
  const name = `${SERVICE}-${stage}`;
  if (!/^[a-z][a-z0-9-]{2,27}$/.test(name)) {
    throw new Error(
      `stage "${stage}": the OpenSearch domain name "${name}" must be 3-28 lowercase letters, digits or hyphens`,
    );
  }
  return name;
}

/**
 * Explicit DeletionPolicy and UpdateReplacePolicy for a stateful resource. With deletion protection
 * (the default of the prod stage) data outlives the stack: queues (in-flight records), secrets (the
 * credentials of a retained snapshot) and the search domain are retained, Aurora leaves a snapshot.
 * Without it, `sls remove` removes everything.
 */
const retention = (protect, kept = 'Retain') => {
  const policy = protect ? kept : 'Delete';
  return { DeletionPolicy: policy, UpdateReplacePolicy: policy };
};

function queueResources(stage, protect = null) {
  // Local stages (protect === null) keep the bare queues they always had.
  const policies = protect === null ? {} : retention(protect);
  const resources = {};
  for (const [key, queue] of Object.entries(queues)) {
    resources[logicalDeadLetterQueueId(key)] = {
      Type: 'AWS::SQS::Queue',
      ...policies,
      Properties: {
        QueueName: `${SERVICE}-${stage}-${key}-dlq`,
        MessageRetentionPeriod: 1209600,
      },
    };
    resources[logicalQueueId(key)] = {
      Type: 'AWS::SQS::Queue',
      ...policies,
      Properties: {
        QueueName: `${SERVICE}-${stage}-${key}`,
        VisibilityTimeout: queue.visibilityTimeout,
        MessageRetentionPeriod: queue.messageRetentionPeriod,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalDeadLetterQueueId(key), 'Arn'] },
          maxReceiveCount: queue.maxReceiveCount,
        },
      },
    };
  }
  return resources;
}

function parameters(settings) {
  const withDefault = (parameter, values) =>
    values.length ? { ...parameter, Default: values.join(',') } : parameter;
  const result = {
    VpcId: withDefault(
      {
        Type: 'AWS::EC2::VPC::Id',
        Description: 'VPC of the Lambda functions and data stores (Serverless param vpcId or env VPC_ID)',
      },
      settings.vpcId ? [settings.vpcId] : [],
    ),
    VpcSubnetIds: withDefault(
      {
        Type: 'List<AWS::EC2::Subnet::Id>',
        Description:
          'Private subnets, at least two, the first two in different Availability Zones, with a route to SQS ' +
          '(NAT gateway or SQS interface endpoint) (Serverless param vpcSubnetIds or env VPC_SUBNET_IDS)',
      },
      settings.vpcSubnetIds,
    ),
  };
  if (settings.vpcSecurityGroupIds.length) {
    result.VpcSecurityGroupIds = {
      Type: 'List<AWS::EC2::SecurityGroup::Id>',
      Description: 'Extra security groups for the Lambda functions (Serverless param vpcSecurityGroupIds)',
      Default: settings.vpcSecurityGroupIds.join(','),
    };
  }
  return result;
}

function networkResources(stage, settings) {
  const ingress = (from, port, description) => ({
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: {
      GroupId: { 'Fn::GetAtt': [ids.dataSecurityGroup, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [from, 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: port,
      ToPort: port,
      Description: description,
    },
  });
  const resources = {
    // The Lambda functions' own group: the data stores admit it and nothing else.
    [ids.lambdaSecurityGroup]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `${SERVICE}-${stage} Lambda functions`,
        VpcId: { Ref: 'VpcId' },
      },
    },
    [ids.dataSecurityGroup]: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: `${SERVICE}-${stage} RDS Proxy, Aurora, ElastiCache, OpenSearch`,
        VpcId: { Ref: 'VpcId' },
      },
    },
    DataIngressMysqlFromLambda: ingress(ids.lambdaSecurityGroup, DATABASE_PORT, 'Lambda to RDS Proxy'),
    DataIngressMysqlFromProxy: ingress(ids.dataSecurityGroup, DATABASE_PORT, 'RDS Proxy to Aurora'),
    DataIngressRedisFromLambda: ingress(ids.lambdaSecurityGroup, 6379, 'Lambda to ElastiCache'),
    DataIngressHttpsFromLambda: ingress(ids.lambdaSecurityGroup, 443, 'Lambda to OpenSearch and VPC endpoints'),
  };
  if (settings.sqsVpcEndpoint) {
    // Only for subnets without a NAT route: the API functions send to SQS from inside the VPC.
    resources.SqsVpcEndpoint = {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcEndpointType: 'Interface',
        ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.sqs' },
        VpcId: { Ref: 'VpcId' },
        SubnetIds: { Ref: 'VpcSubnetIds' },
        SecurityGroupIds: [{ Ref: ids.dataSecurityGroup }],
        PrivateDnsEnabled: true,
      },
    };
  }
  return resources;
}

/**
 * `chat-system-<stage>-<purpose>-<stack uuid>`: recognisable (and matchable in IAM policies), yet new
 * for every creation of the stack, because a deleted or retained secret keeps its name taken.
 */
const secretName = (stage, purpose) => ({
  'Fn::Sub': [
    `${SERVICE}-${stage}-${purpose}-\${StackUuid}`,
    { StackUuid: { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] } },
  ],
});

function databaseResources(stage, settings) {
  const secretValue = (key) => ({ 'Fn::Sub': `{{resolve:secretsmanager:\${${ids.databaseSecret}}:SecretString:${key}}}` });
  const protect = settings.deletionProtection;
  const resources = {
    [ids.databaseSecret]: {
      Type: 'AWS::SecretsManager::Secret',
      ...retention(protect),
      Properties: {
        Name: secretName(stage, 'mysql'),
        Description: `${SERVICE}-${stage} Aurora MySQL credentials (read by RDS Proxy)`,
        GenerateSecretString: {
          SecretStringTemplate: JSON.stringify({ username: DATABASE_USER }),
          GenerateStringKey: 'password',
          PasswordLength: 32,
          // Letters and digits only: safe in a MySQL password and in a connection string.
          ExcludePunctuation: true,
        },
      },
    },
    DatabaseSubnetGroup: {
      Type: 'AWS::RDS::DBSubnetGroup',
      Properties: {
        DBSubnetGroupDescription: `${SERVICE}-${stage} Aurora MySQL`,
        SubnetIds: { Ref: 'VpcSubnetIds' },
      },
    },
    [ids.databaseCluster]: {
      Type: 'AWS::RDS::DBCluster',
      ...retention(protect, 'Snapshot'),
      Properties: {
        Engine: 'aurora-mysql',
        EngineVersion: settings.databaseEngineVersion,
        DatabaseName: DATABASE_NAME,
        Port: DATABASE_PORT,
        MasterUsername: secretValue('username'),
        MasterUserPassword: secretValue('password'),
        DBSubnetGroupName: { Ref: 'DatabaseSubnetGroup' },
        VpcSecurityGroupIds: [{ Ref: ids.dataSecurityGroup }],
        StorageEncrypted: true,
        BackupRetentionPeriod: 7,
        CopyTagsToSnapshot: true,
        DeletionProtection: protect,
        EnableCloudwatchLogsExports: ['error', 'slowquery'],
        ServerlessV2ScalingConfiguration: {
          MinCapacity: settings.databaseMinCapacity,
          MaxCapacity: settings.databaseMaxCapacity,
        },
      },
    },
    // Adds host, port and engine to the secret, as Secrets Manager rotation expects.
    DatabaseSecretAttachment: {
      Type: 'AWS::SecretsManager::SecretTargetAttachment',
      Properties: {
        SecretId: { Ref: ids.databaseSecret },
        TargetId: { Ref: ids.databaseCluster },
        TargetType: 'AWS::RDS::DBCluster',
      },
    },
    DatabaseProxyRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'rds.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'read-database-secret',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: ids.databaseSecret } }],
            },
          },
        ],
      },
    },
    [ids.databaseProxy]: {
      Type: 'AWS::RDS::DBProxy',
      Properties: {
        DBProxyName: `${SERVICE}-${stage}`,
        EngineFamily: 'MYSQL',
        Auth: [{ AuthScheme: 'SECRETS', SecretArn: { Ref: ids.databaseSecret }, IAMAuth: 'DISABLED' }],
        RoleArn: { 'Fn::GetAtt': ['DatabaseProxyRole', 'Arn'] },
        VpcSubnetIds: { Ref: 'VpcSubnetIds' },
        VpcSecurityGroupIds: [{ Ref: ids.dataSecurityGroup }],
        // Clients must connect with TLS (the functions set MYSQL_TLS=true; shared/config.ts refuses
        // plaintext on AWS stages). The proxy presents an ACM certificate.
        RequireTLS: true,
        IdleClientTimeout: 1800,
      },
    },
  };
  const instanceIds = [];
  for (let i = 1; i <= settings.databaseInstances; i += 1) {
    const id = `DatabaseInstance${i}`;
    instanceIds.push(id);
    resources[id] = {
      Type: 'AWS::RDS::DBInstance',
      // The data lives in the cluster (snapshotted above); an instance has nothing of its own.
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        Engine: 'aurora-mysql',
        DBClusterIdentifier: { Ref: ids.databaseCluster },
        DBInstanceClass: 'db.serverless',
        PubliclyAccessible: false,
        // Readers in tier 0/1 scale with the writer, so a failover lands on a warm instance.
        PromotionTier: Math.min(i - 1, 1),
      },
    };
  }
  resources.DatabaseProxyTargetGroup = {
    Type: 'AWS::RDS::DBProxyTargetGroup',
    // The proxy can register the cluster only once it has an available instance.
    DependsOn: instanceIds,
    Properties: {
      DBProxyName: { Ref: ids.databaseProxy },
      TargetGroupName: 'default',
      DBClusterIdentifiers: [{ Ref: ids.databaseCluster }],
      ConnectionPoolConfigurationInfo: {
        MaxConnectionsPercent: 90,
        MaxIdleConnectionsPercent: 10,
        ConnectionBorrowTimeout: PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS,
      },
    },
  };
  return resources;
}

function redisResources(stage, settings) {
  return {
    [ids.redisAuthSecret]: {
      Type: 'AWS::SecretsManager::Secret',
      // Only the replication group uses the token; both go together.
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        Name: secretName(stage, 'redis-auth-token'),
        Description: `${SERVICE}-${stage} ElastiCache AUTH token`,
        // ElastiCache AUTH tokens: 16-128 printable characters without @ " / (letters and digits here,
        // so the token can sit in a rediss:// URL unescaped).
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    },
    RedisSubnetGroup: {
      Type: 'AWS::ElastiCache::SubnetGroup',
      Properties: {
        Description: `${SERVICE}-${stage} Redis`,
        SubnetIds: { Ref: 'VpcSubnetIds' },
      },
    },
    // One shard (the app uses a single-endpoint client), a primary and a replica in another AZ with
    // automatic failover. ElastiCache has no AOF for replication groups: a failover or node loss can
    // drop the last writes, so counters may go back. The application detects that and recovers the
    // counters from MySQL before numbering again (DESIGN.md invariant 4). Keep maxmemory-policy at
    // the default volatile-lru so keys without a TTL (the counters) are never evicted. MemoryDB is the
    // durable alternative if a 503 window after a failover is unacceptable.
    [ids.redis]: {
      Type: 'AWS::ElastiCache::ReplicationGroup',
      // Counters are rebuilt from MySQL when lost (invariant 4); nothing here needs to outlive the stack.
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        ReplicationGroupDescription: `${SERVICE}-${stage} counters, rate limits and cache`,
        Engine: 'redis',
        EngineVersion: '7.1',
        CacheNodeType: settings.redisNodeType,
        NumCacheClusters: 2,
        AutomaticFailoverEnabled: true,
        MultiAZEnabled: true,
        Port: 6379,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        AuthToken: { 'Fn::Sub': `{{resolve:secretsmanager:\${${ids.redisAuthSecret}}:SecretString}}` },
        CacheSubnetGroupName: { Ref: 'RedisSubnetGroup' },
        SecurityGroupIds: [{ Ref: ids.dataSecurityGroup }],
        SnapshotRetentionLimit: 7,
      },
    },
  };
}

// --- Counter store (issue 9) ------------------------------------------------------------------------
// The numbering counters, rate buckets and Idempotency-Keys. Two choices, by the counterStore setting:
//   memorydb (default for prod): Amazon MemoryDB, a multi-AZ transaction log; a write acknowledged
//     is durable, so a failover never rolls a counter back. Cluster mode only, with ACL users: the
//     app connects with ioredis Cluster (REDIS_MODE=cluster), every key carries the app's hash tag.
//   elasticache: the replication group above; cheaper and faster writes, but a failover can lose the
//     last acknowledged writes. The app then detects collisions and heals (DESIGN invariant 4).
// Both run maxmemory-policy noeviction: idempotency and rate keys have a TTL, and under an LRU
// policy memory pressure could evict a key a client is about to retry with; better an error (503).
// docs/deploy.md "Counter store" has the trade-off.
const COUNTER_STORES = ['memorydb', 'elasticache'];
const MEMORYDB_USER = (stage) => `${SERVICE}-${stage}-app`;
// Fixed, and written into the URLs as a literal: the cluster's ClusterEndpoint.Port attribute is a number,
// which Fn::Sub does not take.
const MEMORYDB_PORT = 6379;

function counterStoreResources(stage, settings) {
  if (settings.counterStore === 'elasticache') {
    const resources = redisResources(stage, settings);
    resources.RedisParameterGroup = {
      Type: 'AWS::ElastiCache::ParameterGroup',
      Properties: {
        CacheParameterGroupFamily: 'redis7',
        Description: `${SERVICE}-${stage} counters: never evict`,
        Properties: { 'maxmemory-policy': 'noeviction' },
      },
    };
    resources[ids.redis].Properties.CacheParameterGroupName = { Ref: 'RedisParameterGroup' };
    return resources;
  }
  return {
    [ids.redisAuthSecret]: {
      Type: 'AWS::SecretsManager::Secret',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        Name: secretName(stage, 'memorydb-password'),
        Description: `${SERVICE}-${stage} MemoryDB ACL user password`,
        // 16-128 characters; letters and digits so it sits in a rediss:// URL unescaped.
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    },
    MemoryDbSubnetGroup: {
      Type: 'AWS::MemoryDB::SubnetGroup',
      Properties: { SubnetGroupName: `${SERVICE}-${stage}`, SubnetIds: { Ref: 'VpcSubnetIds' } },
    },
    MemoryDbParameterGroup: {
      Type: 'AWS::MemoryDB::ParameterGroup',
      Properties: {
        ParameterGroupName: `${SERVICE}-${stage}`,
        Family: 'memorydb_redis7',
        Parameters: { 'maxmemory-policy': 'noeviction' },
      },
    },
    MemoryDbUser: {
      Type: 'AWS::MemoryDB::User',
      Properties: {
        UserName: MEMORYDB_USER(stage),
        // Every key and command the app needs (EVALSHA, HINCRBY…), none of the administrative ones.
        AccessString: 'on ~* &* +@all -@dangerous',
        AuthenticationMode: { Type: 'password', Passwords: [{ 'Fn::Sub': `{{resolve:secretsmanager:\${${ids.redisAuthSecret}}:SecretString}}` }] },
      },
    },
    MemoryDbAcl: {
      Type: 'AWS::MemoryDB::ACL',
      Properties: { ACLName: `${SERVICE}-${stage}`, UserNames: [{ Ref: 'MemoryDbUser' }] },
    },
    [ids.redis]: {
      Type: 'AWS::MemoryDB::Cluster',
      // MemoryDB has no Snapshot policy; its automatic snapshots (7 days) go with a deleted cluster, so a
      // protected stage keeps the cluster itself.
      ...retention(settings.deletionProtection),
      Properties: {
        ClusterName: `${SERVICE}-${stage}`,
        Description: `${SERVICE}-${stage} counters, rate limits and Idempotency-Keys (durable)`,
        EngineVersion: '7.1',
        NodeType: settings.memoryDbNodeType,
        NumShards: 1,
        NumReplicasPerShard: 1,
        TLSEnabled: true,
        ACLName: { Ref: 'MemoryDbAcl' },
        SubnetGroupName: { Ref: 'MemoryDbSubnetGroup' },
        ParameterGroupName: { Ref: 'MemoryDbParameterGroup' },
        SecurityGroupIds: [{ Ref: ids.dataSecurityGroup }],
        Port: MEMORYDB_PORT,
        SnapshotRetentionLimit: 7,
      },
    },
  };
}

/** REDIS_URL and REDIS_MODE of an AWS stage, for the chosen counter store. */
function counterStoreEnvironment(stage, settings) {
  const token = `{{resolve:secretsmanager:\${${ids.redisAuthSecret}}:SecretString}}`;
  if (settings.counterStore === 'elasticache') {
    return {
      REDIS_URL: { 'Fn::Sub': `rediss://:${token}@\${${ids.redis}.PrimaryEndPoint.Address}:\${${ids.redis}.PrimaryEndPoint.Port}` },
      REDIS_MODE: 'standalone',
    };
  }
  return {
    REDIS_URL: { 'Fn::Sub': `rediss://${MEMORYDB_USER(stage)}:${token}@\${${ids.redis}.ClusterEndpoint.Address}:${MEMORYDB_PORT}` },
    REDIS_MODE: 'cluster',
  };
}

function counterStoreOutput(settings) {
  if (settings.counterStore === 'elasticache') {
    return {
      Description: 'ElastiCache primary endpoint (TLS)',
      Value: { 'Fn::Sub': `\${${ids.redis}.PrimaryEndPoint.Address}:\${${ids.redis}.PrimaryEndPoint.Port}` },
    };
  }
  return { Description: 'MemoryDB cluster endpoint (TLS)', Value: { 'Fn::Sub': `\${${ids.redis}.ClusterEndpoint.Address}:${MEMORYDB_PORT}` } };
}
// --- end of the counter store --------------------------------------------------------------------------

function openSearchResources(stage, settings) {
  const domainName = openSearchDomainName(stage);
  return {
    [ids.openSearch]: {
      Type: 'AWS::OpenSearchService::Domain',
      ...retention(settings.deletionProtection),
      Properties: {
        DomainName: domainName,
        EngineVersion: 'OpenSearch_2.19',
        ClusterConfig: {
          InstanceType: settings.openSearchInstanceType,
          InstanceCount: 2,
          ZoneAwarenessEnabled: true,
          ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
        },
        EBSOptions: { EBSEnabled: true, VolumeType: 'gp3', VolumeSize: settings.openSearchVolumeSize },
        // One subnet per Availability Zone: the first two of VpcSubnetIds.
        VPCOptions: {
          SubnetIds: [
            { 'Fn::Select': [0, { Ref: 'VpcSubnetIds' }] },
            { 'Fn::Select': [1, { Ref: 'VpcSubnetIds' }] },
          ],
          SecurityGroupIds: [{ Ref: ids.dataSecurityGroup }],
        },
        EncryptionAtRestOptions: { Enabled: true },
        NodeToNodeEncryptionOptions: { Enabled: true },
        DomainEndpointOptions: { EnforceHTTPS: true, TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10' },
        // Requests are SigV4-signed by the roles of the functions that search or index (infra/permissions.js);
        // nothing else is admitted.
        AccessPolicies: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: searchUsers().map((name) => ({ 'Fn::GetAtt': [roleLogicalId(name), 'Arn'] })) },
              Action: 'es:ESHttp*',
              Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:es:\${AWS::Region}:\${AWS::AccountId}:domain/${domainName}/*` },
            },
          ],
        },
      },
    },
  };
}

function outputs(settings) {
  const result = {
    DatabaseProxyEndpoint: { Description: 'RDS Proxy endpoint (MYSQL_HOST)', Value: { 'Fn::GetAtt': [ids.databaseProxy, 'Endpoint'] } },
    DatabaseClusterEndpoint: {
      Description: 'Aurora writer endpoint (administration only; the functions use the proxy)',
      Value: { 'Fn::GetAtt': [ids.databaseCluster, 'Endpoint.Address'] },
    },
    DatabaseSecretArn: { Description: 'Secrets Manager secret of the database user', Value: { Ref: ids.databaseSecret } },
    RedisEndpoint: counterStoreOutput(settings),
    OpenSearchEndpoint: { Description: 'OpenSearch domain endpoint (HTTPS)', Value: { 'Fn::Sub': `https://\${${ids.openSearch}.DomainEndpoint}` } },
    LambdaSecurityGroupId: { Description: 'Security group of the Lambda functions', Value: { Ref: ids.lambdaSecurityGroup } },
  };
  for (const key of Object.keys(queues)) {
    result[`${logicalQueueId(key)}Url`] = { Value: { Ref: logicalQueueId(key) } };
    result[`${logicalDeadLetterQueueId(key)}Url`] = { Value: { Ref: logicalDeadLetterQueueId(key) } };
  }
  return result;
}

module.exports = {
  SERVICE,
  LOCAL_STAGES,
  isLocalStage,
  DATABASE_USER,
  DATABASE_NAME,
  DATABASE_PORT,
  PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS,
  ids,
  logicalQueueId,
  logicalDeadLetterQueueId,
  openSearchDomainName,
  counterStoreEnvironment,

  /** The settings of an AWS stage (the environment needs the counter store choice). */
  settingsOf: async (context) => settingsOf(context, await stageOf(context)),

  async resources(context) {
    const stage = await stageOf(context);
    if (isLocalStage(stage)) return { Resources: queueResources(stage) };
    const settings = await settingsOf(context, stage);
    return {
      Parameters: { ...parameters(settings), ...observability.parameters(settings.alarmTopicArn) },
      Conditions: observability.conditions,
      Resources: {
        ...queueResources(stage, settings.deletionProtection),
        ...networkResources(stage, settings),
        ...databaseResources(stage, settings),
        ...counterStoreResources(stage, settings),
        ...openSearchResources(stage, settings),
        ...observability.resources(stage, { logicalQueueId, logicalDeadLetterQueueId }),
      },
      Outputs: outputs(settings),
    };
  },

  /**
   * `provider.vpc`: the operator's subnets for AWS stages; null (no VPC) for local stages, which
   * serverless.yml turns into "no value" with its `, null` fallback (a bare null or undefined from a
   * file variable is an error in osls, and `{}` fails the schema).
   */
  async vpc(context) {
    const stage = await stageOf(context);
    if (isLocalStage(stage)) return null;
    const settings = await settingsOf(context, stage);
    const own = { Ref: ids.lambdaSecurityGroup };
    return {
      securityGroupIds: settings.vpcSecurityGroupIds.length
        ? { 'Fn::Split': [',', { 'Fn::Join': [',', [own, { 'Fn::Join': [',', { Ref: 'VpcSecurityGroupIds' }] }]] }] }
        : [own],
      subnetIds: { 'Fn::Split': [',', { 'Fn::Join': [',', { Ref: 'VpcSubnetIds' }] }] },
    };
  },
};
