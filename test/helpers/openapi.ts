import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../shared/http/openapi';

type Document = ReturnType<typeof openApiDocument>;

const document: Document = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components }, 'openapi');

// Like API Gateway, a literal segment wins over a {parameter}: `messages/search` is not a message number.
const parameters = (template: string) => (template.match(/\{/g) ?? []).length;
const templates = Object.keys(document.paths ?? {})
  .sort((a, b) => parameters(a) - parameters(b))
  .map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));

/** Rewrites `#/components/...` refs to point into the registered component document. */
const resolveRefs = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/'));

/**
 * Checks a response against the OpenAPI document: the route and status must be documented, and the
 * body must match the documented schema. Throws with the validator's errors otherwise.
 */
export function assertMatchesContract(method: string, url: string, status: number, body: unknown): void {
  const path = new URL(url).pathname;
  const route = templates.find(({ pattern }) => pattern.test(path));
  if (!route) {
    // Paths outside the contract answer the API's own 404 error shape.
    if (status !== 404 || !ajv.validate(resolveRefs({ $ref: '#/components/schemas/Error' }) as object, body)) {
      throw new Error(`${method} ${path}: undocumented route answered ${status} ${JSON.stringify(body)}`);
    }
    return;
  }
  const operation = (document.paths as Record<string, Record<string, any>>)[route.template]![method.toLowerCase()];
  if (!operation) {
    // A method the path does not have answers 405 (with Allow) in the API's error shape.
    if (status === 405 && ajv.validate(resolveRefs({ $ref: '#/components/schemas/Error' }) as object, body)) return;
    throw new Error(`${method} ${route.template} is not in the OpenAPI document`);
  }
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${method} ${route.template} answered ${status}, which the OpenAPI document does not list`);
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return;
  if (!ajv.validate(resolveRefs(schema) as object, body)) {
    throw new Error(`${method} ${route.template} ${status}: body does not match the contract: ${ajv.errorsText()}\n${JSON.stringify(body)}`);
  }
}

export { document as openApi };
