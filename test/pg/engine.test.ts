/** The pure parts of scripts/pg/engine.ts: version comparison and finding the system's Debian mirror. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemDebianMirror, versionAtLeast } from '../../scripts/pg/engine';

test('versionAtLeast compares dotted versions numerically', () => {
  expect(versionAtLeast('0.8.0', '0.8.0')).toBe(true);
  expect(versionAtLeast('0.10.1', '0.8.0')).toBe(true);
  expect(versionAtLeast('1.0', '0.8.0')).toBe(true);
  expect(versionAtLeast('0.7.4', '0.8.0')).toBe(false);
  expect(versionAtLeast('0.5.1', '0.8')).toBe(false);
});

describe('systemDebianMirror', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const etc = (files: Record<string, string>): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'apt-etc-'));
    dirs.push(dir);
    mkdirSync(path.join(dir, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return dir;
  };

  test('reads deb822 .sources: the deb stanza of the suite with main, not security or other suites', () => {
    const dir = etc({
      'sources.list.d/debian.sources': [
        'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n',
        'Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
      ].join('\n'),
      'sources.list.d/other.sources': 'Types: deb\nURIs: https://vendor.example/apt\nSuites: nodistro\nComponents: main\n',
    });
    expect(systemDebianMirror(dir, 'bookworm')).toBe('http://mirror.example/debian');
  });

  test('reads one-line sources.list, with options', () => {
    const dir = etc({ 'sources.list': '# deb http://old.example/debian bookworm main\ndeb [arch=amd64] http://mirror.example/debian bookworm main contrib\n' });
    expect(systemDebianMirror(dir, 'bookworm')).toBe('http://mirror.example/debian');
  });

  test('skips disabled stanzas and says undefined when nothing matches', () => {
    const dir = etc({ 'sources.list.d/debian.sources': 'Enabled: no\nTypes: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\n' });
    expect(systemDebianMirror(dir, 'bookworm')).toBeUndefined();
  });
});
