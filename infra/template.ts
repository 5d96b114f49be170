import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './local/environment';
import { ensureVenv } from './local/venv';

/** The parts of a CloudFormation template the checks read. */
export interface CloudFormationTemplate {
  Metadata?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- resource properties are free-form JSON
  Resources: Record<string, { Type: string; Properties?: Record<string, any>; DependsOn?: string | string[]; Metadata?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

/** The settings of an operator's shell that would change what packages; the checks package the defaults. */
const OPERATOR_SETTINGS = /^(VPC_|SQS_VPC_ENDPOINT|DATABASE_|REDIS_NODE_TYPE|OPENSEARCH_INSTANCE_TYPE|OPENSEARCH_VOLUME_SIZE|DELETION_PROTECTION|ALARM_TOPIC_ARN)/;

/**
 * `sls package --stage STAGE` into `dir` (no AWS credentials needed), and the CloudFormation it wrote.
 * Its own output folder, so it never replaces the artifacts of another package or a running API.
 */
export function packageStage(stage: string, dir: string): CloudFormationTemplate {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OPERATOR_SETTINGS.test(name)));
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'package', '--stage', stage, '--package', dir],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // Its own esbuild work folder too: the default one is what a running `sls offline` loads from.
      env: { ...env, SLS_TELEMETRY_DISABLED: '1', ESBUILD_WORK_FOLDER: join('.local', 'esbuild-package') },
      timeout: 600_000,
    },
  );
  if (result.status !== 0) {
    throw new Error(`sls package --stage ${stage} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return JSON.parse(readFileSync(templatePath(dir), 'utf8')) as CloudFormationTemplate;
}

export const templatePath = (dir: string) => join(dir, 'cloudformation-template-update-stack.json');

/** cfn-lint (pinned in infra/python/cfn-lint.txt, in its own venv under .local/) on a template file. */
export function cfnLint(template: string): { status: number; output: string } {
  const bin = ensureVenv({ name: 'cfn-lint', requirements: 'infra/python/cfn-lint.txt', python: 'python3.13' });
  const result = spawnSync(join(bin, 'cfn-lint'), ['--format', 'parseable', '--', template], { encoding: 'utf8' });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}`.trim() };
}
