import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiDocument } from '../../shared/http/openapi';

const ROOT = join(__dirname, '..', '..');

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(openApiDocument())));

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every HTTP route that serverless.yml deploys (the catch-all 404 aside)', () => {
    const functions = load(readFileSync(join(ROOT, 'infra', 'functions.yml'), 'utf8')) as Record<string, { events?: { httpApi?: { method: string; path: string } }[] }>;
    const deployed = Object.values(functions)
      .flatMap((fn) => fn.events ?? [])
      .flatMap((event) => (event.httpApi ? [`${event.httpApi.method.toLowerCase()} ${event.httpApi.path}`] : []))
      .filter((route) => !route.includes('{proxy+}'))
      .sort();
    const paths = openApiDocument().paths as Record<string, object>;
    const documented = Object.entries(paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();

    expect(documented).toEqual(deployed);
  });

  it('is committed as docs/openapi.json, up to date (npm run openapi regenerates it)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8'));

    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });
});
