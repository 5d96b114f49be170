import { httpHandler } from '../../shared/http/handler';
import { openApiDocument } from '../../shared/http/openapi';
import { ok } from '../../shared/http/responses';

const document = openApiDocument();

export const handler = httpHandler(async () => ok(document));
