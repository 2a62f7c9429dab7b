import { ConfigError, DEFAULT_UI_STATIC_DIR, loadConfig } from '../../src/config/config';
import { splitHostPort } from '../../src/ui/ui-server';

describe('workbench configuration', () => {
  it('is off unless MATCH_UI_ADDR is set; the page defaults to web/dist', () => {
    const c = loadConfig({});
    expect(c.ui).toEqual({ addr: undefined, staticDir: DEFAULT_UI_STATIC_DIR, judgmentsFile: undefined, taskFile: undefined });
    expect(DEFAULT_UI_STATIC_DIR).toMatch(/web[/\\]dist$/);
    const on = loadConfig({ MATCH_UI_ADDR: '127.0.0.1:8080', MATCH_UI_JUDGMENTS_FILE: '/tmp/j.jsonl', MATCH_UI_TASK_FILE: '/tmp/t.csv', MATCH_UI_STATIC_DIR: '/srv/page' });
    expect(on.ui).toEqual({ addr: '127.0.0.1:8080', staticDir: '/srv/page', judgmentsFile: '/tmp/j.jsonl', taskFile: '/tmp/t.csv' });
  });

  it('refuses an address that is not host:port', () => {
    expect(() => loadConfig({ MATCH_UI_ADDR: '8080' })).toThrow(ConfigError);
    expect(() => loadConfig({ MATCH_UI_ADDR: 'localhost' })).toThrow(/MATCH_UI_ADDR="localhost": must be host:port/);
  });

  it('splits host:port and [v6]:port for listen()', () => {
    expect(splitHostPort('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(splitHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(splitHostPort('localhost:9')).toEqual({ host: 'localhost', port: 9 });
  });
});
