import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { version as swaggerUiVersion } from 'swagger-ui-dist/package.json';

/**
 * The interactive API docs (`GET /api/v1/docs`): Swagger UI, from the pinned swagger-ui-dist
 * package, rendered in the browser from the served `/api/v1/openapi.json`. The API serves the
 * assets itself (no CDN): they are read from node_modules, which the `docs` function's package
 * includes (infra/functions.yml `package.patterns`), so the same code runs locally and on Lambda.
 */

export interface DocsAsset {
  contentType: string;
  body: Buffer;
  /** gzip of the body, for clients that accept it (the bundle is 1.7 MB, 0.5 MB gzipped). */
  gzipped?: Buffer;
}

/** The files the page loads, by the name in its URL. Anything else is a 404. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

export const DOCS_ASSET_NAMES = Object.keys(ASSETS);

/** Relative URLs: the page at …/api/v1/docs loads …/api/v1/docs/<asset> and …/api/v1/openapi.json. */
const asset = (name: string) => `docs/${name}?v=${swaggerUiVersion}`;

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Chat system API</title>
  <link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}">
  <link rel="stylesheet" href="${asset('swagger-ui.css')}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${asset('swagger-ui-bundle.js')}"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#swagger-ui', deepLinking: true, displayRequestDuration: true });
  </script>
</body>
</html>
`;

const loaded = new Map<string, DocsAsset>();

/** An asset by name, read once per container; undefined for a name the page does not use. */
export function docsAsset(name: string): DocsAsset | undefined {
  // Own keys only: a name like `__proto__` or `constructor` is not an asset (it was a 500, found by fuzzing).
  const contentType = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!contentType) return undefined;
  let found = loaded.get(name);
  if (!found) {
    const body = readFileSync(require.resolve(`swagger-ui-dist/${name}`));
    found = { contentType, body, gzipped: contentType.startsWith('text/') ? gzipSync(body) : undefined };
    loaded.set(name, found);
  }
  return found;
}
