import { promises as fs, symlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/server';
import { StaticFiles, StaticFilesMissingError } from '../../src/ui/static-files';
import { request } from './helpers';

let dir: string;
let server: http.Server;
let base: string;
let files: StaticFiles;

beforeAll(async () => {
  dir = await tempDir('creator-match-static-');
  const dist = path.join(dir, 'dist');
  await fs.mkdir(path.join(dist, 'assets'), { recursive: true });
  await fs.writeFile(path.join(dist, 'index.html'), '<!doctype html><title>t</title>');
  await fs.writeFile(path.join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  await fs.writeFile(path.join(dist, 'assets', 'index-abc123.css'), 'body{}');
  await fs.writeFile(path.join(dist, 'favicon.svg'), '<svg/>');
  await fs.writeFile(path.join(dist, 'data.bin'), Buffer.from([1, 2, 3]));
  await fs.writeFile(path.join(dist, '.env'), 'SECRET=1');
  await fs.writeFile(path.join(dir, 'secret.txt'), 'outside');
  symlinkSync(path.join(dir, 'secret.txt'), path.join(dist, 'link-out.txt'));
  symlinkSync(dir, path.join(dist, 'dir-out'));
  files = new StaticFiles(dist);
  server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!files.serve(req, res, p)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the workbench static files', () => {
  it('serves exactly the files of the folder: no dot files, no links out of it', () => {
    expect(files.paths()).toEqual(['/assets/index-abc123.css', '/assets/index-abc123.js', '/data.bin', '/favicon.svg', '/index.html']);
  });

  it.each([
    ['/', 'text/html; charset=utf-8', 'no-cache'],
    ['/index.html', 'text/html; charset=utf-8', 'no-cache'],
    ['/assets/index-abc123.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/assets/index-abc123.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/favicon.svg', 'image/svg+xml', 'no-cache'],
    ['/data.bin', 'application/octet-stream', 'no-cache'],
  ])('%s: %s, Cache-Control %s, nosniff', async (p, type, cache) => {
    const r = await request(base + p);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers['cache-control']).toBe(cache);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers.etag).toMatch(/^"[\w-]{27}"$/);
  });

  it('gives the page a CSP that allows only its own origin', async () => {
    const csp = (await request(`${base}/`)).headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
  });

  it('answers 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const first = await request(`${base}/assets/index-abc123.js`);
    const again = await request(`${base}/assets/index-abc123.js`, { headers: { 'If-None-Match': first.headers.etag! } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const head = await request(`${base}/index.html`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await request(`${base}/index.html`, { method: 'POST' })).status).toBe(405);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '//etc/passwd',
    '/link-out.txt',
    '/dir-out/secret.txt',
    '/.env',
    '/index.html%00.js',
    '/ASSETS/index-abc123.js',
  ])('never serves %s', async (p) => {
    const r = await request(base + p);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('outside');
  });

  it('refuses a folder without index.html with the command that builds it', async () => {
    expect(() => new StaticFiles(path.join(dir, 'nowhere'))).toThrow(StaticFilesMissingError);
    expect(() => new StaticFiles(path.join(dir, 'nowhere'))).toThrow(/npm run web:build/);
  });
});
