import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONFIG_ENV_VARS, loadConfig } from '../../src/config/config';
import { execForm, parseDockerfile } from '../../scripts/dockerfile';

// Parse every manifest in deploy/k8s and check the fields the platform (and this service) rely on.
const DIR = path.resolve(__dirname, '..', '..', 'deploy', 'k8s');

// The fields read here, as the manifests are expected to have them (the tests check the values).
type Labels = Record<string, string>;
interface Doc {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; labels?: Labels };
}
interface Metadata {
  name: string;
  labels: Labels;
}
interface GrpcProbe {
  grpc: { port: number; service?: string };
}
interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}
interface Container {
  image: string;
  command?: string[];
  args: string[];
  ports: Array<{ name: string; containerPort: number }>;
  resources: { requests: { cpu?: string; memory?: string }; limits: { memory?: string } };
  readinessProbe: GrpcProbe;
  livenessProbe: GrpcProbe;
  startupProbe: GrpcProbe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  envFrom: Array<{ configMapRef: { name: string } }>;
  env?: Array<{ name: string }>;
  volumeMounts: VolumeMount[];
}
interface PodSpec {
  containers: Container[];
  securityContext: { runAsNonRoot: boolean; runAsUser?: number };
  volumes: Array<{ name: string; persistentVolumeClaim: { claimName: string } }>;
  terminationGracePeriodSeconds: number;
  restartPolicy?: string;
}
interface Kinds {
  Deployment: {
    spec: {
      selector: { matchLabels: Labels };
      template: { metadata: { labels: Labels }; spec: PodSpec };
      strategy: { rollingUpdate: { maxUnavailable: number | string } };
    };
  };
  ConfigMap: { data: Record<string, string> };
  CronJob: { spec: { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: { template: { spec: PodSpec } } } } };
  Service: { spec: { selector: Labels; ports: Array<{ name: string; targetPort: string | number; appProtocol?: string }> } };
  HorizontalPodAutoscaler: { spec: { scaleTargetRef: unknown; minReplicas: number; maxReplicas: number; metrics: unknown[] } };
  PodDisruptionBudget: { spec: { selector: { matchLabels: Labels } } };
  PersistentVolumeClaim: { spec: { accessModes: string[] } };
  Kustomization: { resources: string[] };
}
type Resource<K extends keyof Kinds> = { apiVersion: string; kind: K; metadata: Metadata } & Kinds[K];

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const docs: Array<{ file: string; doc: Doc }> = files.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file, doc: d.toJS() as Doc };
  }),
);
const resources = docs.filter((d) => d.doc.kind !== 'Kustomization');
const all = <K extends keyof Kinds>(kind: K): Array<Resource<K>> => resources.filter((d) => d.doc.kind === kind).map((d) => d.doc as Resource<K>);
const one = <K extends keyof Kinds>(kind: K, name?: string): Resource<K> => {
  const found = all(kind).filter((d) => name === undefined || d.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
};
const deployment = one('Deployment');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers[0]!;
const configMap = one('ConfigMap');
const cron = one('CronJob');
const cronPod = cron.spec.jobTemplate.spec.template.spec;
const dockerfile = parseDockerfile(readFileSync(path.resolve(DIR, '..', '..', 'Dockerfile'), 'utf8'));
const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;
const isSubset = (sub: Labels, sup: Labels | undefined): boolean => Object.entries(sub).every(([k, v]) => sup?.[k] === v);

describe('deploy/k8s manifests', () => {
  it('parse, and every resource has apiVersion, kind, a DNS-1123 name and the app label', () => {
    expect(resources.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of resources) {
      expect([file, typeof doc.apiVersion]).toEqual([file, 'string']);
      expect(typeof doc.kind).toBe('string');
      expect(doc.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(doc.metadata?.labels?.['app.kubernetes.io/name']).toBe('creator-match');
    }
    const kustomization = docs.find((d) => d.doc.kind === 'Kustomization')!.doc as Resource<'Kustomization'>;
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('Deployment: selector matches the pod labels, ports, resources, non-root', () => {
    expect(deployment.apiVersion).toBe('apps/v1');
    expect(isSubset(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(container.image).toBeTruthy();
    expect(container.ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'grpc', containerPort: 50051 }), expect.objectContaining({ name: 'metrics', containerPort: 9464 })]));
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.requests.memory).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(podSpec.securityContext.runAsNonRoot).toBe(true);
    expect(podSpec.securityContext.runAsUser).not.toBe(0);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('Deployment: gRPC readiness, liveness and startup probes on the health service', () => {
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) expect(container[probe].grpc.port).toBe(50051);
    expect(container.readinessProbe.grpc.service).toBe('creatormatch.v1.CreatorMatcher');
  });

  it('Deployment: graceful termination outlasts preStop plus the service grace period', () => {
    const config = loadConfig({ ...configMap.data, MATCH_INDEX_DIR: '/tmp/x' });
    const preStop = Number(execForm(JSON.stringify(container.lifecycle.preStop.exec.command))![1]);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + config.shutdownGraceMs / 1000);
  });

  it('Deployment: config is valid, names only variables the service reads, and mounts the index volume where the image expects it', () => {
    expect(container.envFrom[0]!.configMapRef.name).toBe(configMap.metadata.name);
    expect(() => loadConfig(configMap.data)).not.toThrow();
    for (const key of Object.keys(configMap.data)) expect(CONFIG_ENV_VARS).toContain(key);
    for (const e of container.env ?? []) expect(e.name).toMatch(/^(OTEL_|MATCH_|LOG_LEVEL$)/);
    const volume = execForm(runtime.instructions.filter((i) => i.cmd === 'VOLUME').pop()!.args)![0];
    expect(configMap.data.MATCH_INDEX_DIR).toBe(volume);
    const mount = container.volumeMounts.find((m) => m.mountPath === volume)!;
    expect(mount.readOnly).toBe(true);
    const claim = podSpec.volumes.find((v) => v.name === mount.name)!.persistentVolumeClaim.claimName;
    expect(one('PersistentVolumeClaim', claim).spec.accessModes).toContain('ReadWriteMany');
  });

  it('Service selects the Deployment pods and targets its named ports', () => {
    for (const doc of all('Service')) {
      expect(isSubset(doc.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
      for (const p of doc.spec.ports) expect(container.ports.map((c) => c.name)).toContain(p.targetPort);
    }
    expect(one('Service', 'creator-match').spec.ports.find((p) => p.name === 'grpc')!.appProtocol).toBe('grpc');
  });

  it('HPA scales the Deployment on CPU', () => {
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    expect(isSubset(one('PodDisruptionBudget').spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
  });

  it('the index builder CronJob writes versions to the volume the service reads, one run at a time', () => {
    expect(cron.apiVersion).toBe('batch/v1');
    expect(cron.spec.schedule.split(' ')).toHaveLength(5);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(['Never', 'OnFailure']).toContain(cronPod.restartPolicy);
    const c = cronPod.containers[0]!;
    expect(c.image).toBe(container.image);
    expect(c.command).toEqual(expect.arrayContaining(['node', 'dist/index-builder/cli.js']));
    const out = c.args[c.args.indexOf('--out') + 1];
    expect(out).toBe(configMap.data.MATCH_INDEX_DIR);
    const mount = c.volumeMounts.find((m) => m.mountPath === out)!;
    expect(mount.readOnly ?? false).toBe(false);
    const claim = cronPod.volumes.find((v) => v.name === mount.name)!.persistentVolumeClaim.claimName;
    const serviceClaim = podSpec.volumes.find((v) => v.name === container.volumeMounts.find((m) => m.mountPath === out)!.name)!.persistentVolumeClaim.claimName;
    expect(claim).toBe(serviceClaim);
    const input = c.args[c.args.indexOf('--input') + 1]!;
    expect(c.volumeMounts.some((m) => input.startsWith(m.mountPath + '/'))).toBe(true);
    expect(cronPod.securityContext.runAsNonRoot).toBe(true);
  });
});
