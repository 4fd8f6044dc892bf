// A plain static file server for the exported site, as a simple web host behaves: files under a URL prefix, `dir/` ->
// `dir/index.html`, `dir` -> redirect to `dir/`, no mapping of extensionless paths to .html, and no COOP/COEP headers
// (public/sw.js has to provide isolation, as on GitHub Pages). Used by scripts/e2e-export.mjs; also runnable by hand:
//   node scripts/static-server.mjs out /lab 8080
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.md': 'text/markdown; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** Serves `root` at URL `prefix` ('' or '/a/b'); resolves to { url, close() } once listening on `port` (0 = any). */
export function serveStatic(root, prefix = '', port = 0, host = '127.0.0.1') {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request');
    }
    if (prefix && path !== prefix && !path.startsWith(`${prefix}/`)) return send(404, 'not found');
    const rel = path.slice(prefix.length) || '/';
    const file = normalize(join(base, rel));
    if (file !== base && !file.startsWith(base + sep)) return send(404, 'not found');
    if (!existsSync(file)) return send(404, 'not found');
    let target = file;
    if (statSync(file).isDirectory()) {
      if (!path.endsWith('/')) return send(301, '', { location: `${path}/${new URL(req.url, 'http://x').search}` });
      target = join(file, 'index.html');
      if (!existsSync(target)) return send(404, 'not found');
    }
    const st = statSync(target);
    res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream', 'content-length': st.size, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(target).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      ok({ url: `http://${host}:${p}${prefix}/`, close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [root = 'out', prefix = '', port = '8080'] = process.argv.slice(2);
  const { url } = await serveStatic(root, prefix.replace(/\/+$/, ''), Number(port));
  console.log(`serving ${root} at ${url}`);
}
