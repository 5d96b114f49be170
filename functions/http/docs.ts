import { NotFound } from '../../shared/domain/errors';
import { httpHandler } from '../../shared/http/handler';
import { DOCS_PAGE, docsAsset } from '../../shared/http/docs-page';
import { content } from '../../shared/http/responses';

// Asset URLs carry the package version, so a browser may keep them for good.
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** GET /api/v1/docs (the page) and GET /api/v1/docs/{asset} (Swagger UI's files). */
export const handler = httpHandler(async (event) => {
  const name = event.pathParameters?.asset;
  if (name === undefined) return content(DOCS_PAGE, 'text/html; charset=utf-8', { 'Cache-Control': 'no-cache' });
  const asset = docsAsset(name);
  if (!asset) throw new NotFound('route');
  const acceptsGzip = /\bgzip\b/.test(Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === 'accept-encoding')?.[1] ?? '');
  if (asset.gzipped && acceptsGzip) {
    return content(asset.gzipped, asset.contentType, { 'Cache-Control': IMMUTABLE, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
  }
  return content(asset.body, asset.contentType, { 'Cache-Control': IMMUTABLE, Vary: 'Accept-Encoding' });
});
