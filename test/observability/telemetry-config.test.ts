import { metrics } from '@opentelemetry/api';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config/config';
import { startTelemetry } from '../../src/telemetry/sdk';

describe('telemetry configuration', () => {
  it('serves /metrics on 0.0.0.0:9464 by default; MATCH_METRICS_ADDR=off disables it; a bad value names the variable', () => {
    expect(loadConfig({}).metricsAddr).toBe('0.0.0.0:9464');
    expect(loadConfig({ MATCH_METRICS_ADDR: '[::]:9100' }).metricsAddr).toBe('[::]:9100');
    expect(loadConfig({ MATCH_METRICS_ADDR: 'off' }).metricsAddr).toBeUndefined();
    expect(() => loadConfig({ MATCH_METRICS_ADDR: '9464' })).toThrow(ConfigError);
    expect(() => loadConfig({ MATCH_METRICS_ADDR: '9464' })).toThrow(/MATCH_METRICS_ADDR/);
  });

  it('OTEL_SDK_DISABLED=true starts nothing and registers no meter provider', async () => {
    const before = metrics.getMeterProvider();
    const t = await startTelemetry({ metricsAddr: '127.0.0.1:0', logger: pino({ level: 'silent' }), env: { OTEL_SDK_DISABLED: 'true' } });
    expect(t.metricsPort).toBeUndefined();
    expect(t.exporters).toEqual({ prometheus: false, otlpMetrics: false, traces: false });
    expect(metrics.getMeterProvider()).toBe(before);
    await t.shutdown();
  });

  it('a taken metrics port fails startup with a message naming MATCH_METRICS_ADDR, and unregisters', async () => {
    const first = await startTelemetry({ metricsAddr: '127.0.0.1:0', logger: pino({ level: 'silent' }), env: {} });
    try {
      await expect(startTelemetry({ metricsAddr: `127.0.0.1:${first.metricsPort}`, logger: pino({ level: 'silent' }), env: {} })).rejects.toThrow(/MATCH_METRICS_ADDR=127\.0\.0\.1:\d+.*EADDRINUSE/);
    } finally {
      await first.shutdown();
    }
  });
});
