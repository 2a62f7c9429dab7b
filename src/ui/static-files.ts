import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './http-util';

/**
 * The workbench page: the files of the built front-end folder (web/dist, `npm run web:build`),
 * read once at start into memory. Only those files are served, each under its path relative to
 * the folder: a request path is looked up in that table and never joined to a file-system path,
 * so nothing outside the folder can be reached (no `..`, no encoded separators, no symlink out of
 * it: links are resolved at start and anything pointing outside is left out).
 *
 * Cache headers: Vite's content-hashed files under assets/ are `immutable` for a year; everything
 * else (index.html first) is `no-cache` with an ETag, so a rebuilt page is picked up at once.
 */

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export const contentTypeOf = (file: string): string => TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cache: string;
}

export class StaticFilesMissingError extends Error {
  override readonly name = 'StaticFilesMissingError';
}

/** Most files and bytes read from the folder (a wrong MATCH_UI_STATIC_DIR must not load a disk). */
const MAX_FILES = 2000;
const MAX_BYTES = 64 * 1024 * 1024;

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(readonly dir: string) {
    if (!existsSync(path.join(dir, 'index.html'))) {
      throw new StaticFilesMissingError(`the workbench page is not built: ${path.join(dir, 'index.html')} does not exist; run npm run web:build (or point MATCH_UI_STATIC_DIR at the built folder)`);
    }
    const root = realpathSync(dir);
    let bytes = 0;
    const walk = (abs: string, rel: string): void => {
      for (const entry of readdirSync(abs, { withFileTypes: true })) {
        if (entry.name.startsWith('.')) continue;
        const full = path.join(abs, entry.name);
        const real = realpathSync(full);
        if (real !== root && !real.startsWith(root + path.sep)) continue;
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        const st = statSync(real);
        if (st.isDirectory()) walk(real, relPath);
        else if (st.isFile()) {
          if (this.files.size >= MAX_FILES || (bytes += st.size) > MAX_BYTES) throw new Error(`${dir} holds more than ${MAX_FILES} files or ${MAX_BYTES} bytes; is MATCH_UI_STATIC_DIR the built page?`);
          const body = readFileSync(real);
          const hashed = relPath.startsWith('assets/');
          this.files.set(`/${relPath}`, {
            body,
            type: contentTypeOf(relPath),
            etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
            cache: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
          });
        }
      }
    };
    walk(root, '');
  }

  /** The URL paths served (tests). */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  /** Answers GET/HEAD of a known file (`/` is index.html); returns false when the path is not one. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const file = this.files.get(pathname === '/' ? '/index.html' : pathname);
    if (!file) return false;
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Cache-Control': file.cache,
      ETag: file.etag,
    };
    if (file.type.startsWith('text/html')) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return true;
    }
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').some((t) => t.trim() === file.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    headers['Content-Length'] = String(file.body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  }
}
