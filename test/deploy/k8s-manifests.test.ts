import { execFile, execFileSync } from 'node:child_process';
import { cpSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments, stringify } from 'yaml';
import type { Finding } from '../../scripts/container/validate-k8s';
import { CONFIG_ENV_VARS, loadConfig } from '../../src/config/config';
import { execForm, parseDockerfile } from '../../scripts/dockerfile';

// deploy/k8s as Kubernetes gets it: rendered by `kubectl kustomize` (a pinned kubectl from the npm
// registry, scripts/container/kubectl.sh), validated against the API schemas
// (scripts/container/validate-k8s.ts), then checked for the properties the platform and this
// service rely on. Each property check is shown to fail on manifests broken in that respect.
const ROOT = path.resolve(__dirname, '..', '..');
const DIR = path.join(ROOT, 'deploy', 'k8s');

/**
 * The kinds deploy/k8s renders, as the API types of kubernetes-models (and prometheus-operator)
 * have them. Those types are what the rendered objects are checked against (the validator test
 * below); here a field the checks read and the types leave optional is asserted present (`!`).
 */
interface Kinds {
  ConfigMap: IConfigMap;
  CronJob: ICronJob;
  Deployment: IDeployment;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  NetworkPolicy: INetworkPolicy;
  PersistentVolumeClaim: IPersistentVolumeClaim;
  PodDisruptionBudget: IPodDisruptionBudget;
  Service: IService;
  ServiceAccount: IServiceAccount;
  ServiceMonitor: IServiceMonitor;
}
type KubeObject = Kinds[keyof Kinds];
type Labels = Record<string, string>;

const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;
const imageVolume = execForm(runtime.instructions.filter((i) => i.cmd === 'VOLUME').pop()!.args)![0]!;
const imageHealthcheck = execForm(runtime.instructions.filter((i) => i.cmd === 'HEALTHCHECK').pop()!.args.replace(/^.*?\bCMD\s+/, ''))!;

let kubectl: string;
const render = (dir: string): KubeObject[] =>
  parseAllDocuments(execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 })).map((d) => {
    if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
    return d.toJS() as KubeObject;
  });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

class Manifests {
  constructor(readonly docs: KubeObject[]) {}
  all<K extends keyof Kinds>(kind: K): Array<Kinds[K]> {
    return this.docs.filter((d): d is Kinds[K] => d.kind === kind);
  }
  one<K extends keyof Kinds>(kind: K, name?: string): Kinds[K] {
    const found = this.all(kind).filter((d) => name === undefined || d.metadata!.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
    return found[0]!;
  }
  get deployment(): IDeployment {
    return this.one('Deployment');
  }
  get pod(): IPodSpec {
    return this.deployment.spec!.template.spec!;
  }
  get container(): IContainer {
    return this.pod.containers[0]!;
  }
  get cron(): ICronJob {
    return this.one('CronJob');
  }
  get cronPod(): IPodSpec {
    return this.cron.spec.jobTemplate.spec!.template.spec!;
  }
  get configMap(): IConfigMap {
    return this.one('ConfigMap');
  }
}

const isSubset = (sub: Labels | undefined, sup: Labels | undefined): boolean => Object.entries(sub ?? {}).every(([k, v]) => sup?.[k] === v);
const envNames = (c: IContainer): string[] => (c.env ?? []).map((e) => e.name);
const claimOf = (pod: IPodSpec, container: IContainer, mountPath: string): string | undefined => {
  const mount = container.volumeMounts!.find((m) => m.mountPath === mountPath);
  return pod.volumes!.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
};

const checks: Record<string, (m: Manifests) => void> = {
  'every object has apiVersion, kind, a DNS-1123 name and the app labels': (m) => {
    expect(m.docs.length).toBeGreaterThanOrEqual(12);
    for (const doc of m.docs) {
      expect([doc.kind, typeof doc.apiVersion]).toEqual([doc.kind, 'string']);
      expect(doc.metadata?.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect([doc.kind, doc.metadata!.labels?.['app.kubernetes.io/name'], doc.metadata!.labels?.['app.kubernetes.io/part-of']]).toEqual([doc.kind, 'creator-match', 'creator-match']);
    }
  },

  'ServiceAccount without a token, used by the service and builder pods, which mount none': (m) => {
    const sa = m.one('ServiceAccount');
    expect(sa.automountServiceAccountToken).toBe(false);
    for (const pod of [m.pod, m.cronPod]) {
      expect(pod.serviceAccountName).toBe(sa.metadata!.name);
      expect(pod.automountServiceAccountToken).toBe(false);
    }
  },

  'Deployment: selector matches the pod labels, ports, resources, non-root, no unavailable replica in a rollout': (m) => {
    const { deployment, pod, container } = m;
    expect(deployment.apiVersion).toBe('apps/v1');
    expect(isSubset(deployment.spec!.selector.matchLabels, deployment.spec!.template.metadata!.labels)).toBe(true);
    expect(container.image).toMatch(/^creator-match:\S+$/);
    expect(container.ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'grpc', containerPort: 50051 }), expect.objectContaining({ name: 'metrics', containerPort: 9464 })]));
    expect(container.resources!.requests!.cpu).toBeDefined();
    expect(container.resources!.requests!.memory).toBeDefined();
    expect(container.resources!.limits!.memory).toBeDefined();
    expect(pod.securityContext!.runAsNonRoot).toBe(true);
    expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(deployment.spec!.strategy!.rollingUpdate!.maxUnavailable).toBe(0);
  },

  'Deployment: gRPC startup, readiness and liveness probes on the health service, each with a timeout above the 1 s default and below its period': (m) => {
    const { container } = m;
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      expect([probe, container[probe]!.grpc!.port]).toEqual([probe, 50051]);
      expect([probe, container[probe]!.timeoutSeconds]).toEqual([probe, expect.any(Number)]);
      expect(container[probe]!.timeoutSeconds).toBeGreaterThanOrEqual(2);
      expect(container[probe]!.timeoutSeconds).toBeLessThan(container[probe]!.periodSeconds!);
    }
    expect(container.readinessProbe!.grpc!.service).toBe('creatormatch.v1.CreatorMatcher');
    expect(container.startupProbe!.periodSeconds! * container.startupProbe!.failureThreshold!).toBeGreaterThanOrEqual(120);
  },

  'Deployment: graceful termination outlasts preStop plus the service grace period': (m) => {
    const config = loadConfig({ ...m.configMap.data, MATCH_INDEX_DIR: '/tmp/x' });
    const preStop = Number(m.container.lifecycle!.preStop!.exec!.command![1]);
    expect(m.pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + config.shutdownGraceMs / 1000);
  },

  'Deployment: config from the generated ConfigMap (content-hash name), valid, only variables the service reads; index volume read-only where the image expects it, so admin is off': (m) => {
    const { configMap, container, pod } = m;
    expect(configMap.metadata!.name).toMatch(/^creator-match-[a-z0-9]{10}$/);
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata!.name } }]);
    expect(() => loadConfig(configMap.data)).not.toThrow();
    for (const key of Object.keys(configMap.data!)) expect(CONFIG_ENV_VARS).toContain(key);
    for (const name of envNames(container)) expect(name).toMatch(/^(OTEL_|MATCH_|LOG_LEVEL$)/);
    expect(configMap.data!.MATCH_INDEX_DIR).toBe(imageVolume);
    const mount = container.volumeMounts!.find((x) => x.mountPath === imageVolume);
    expect(mount!.readOnly).toBe(true);
    // IndexAdmin writes the index volume (update logs, CURRENT): with it read-only, admin must be off.
    for (const key of ['MATCH_ADMIN_TOKEN', 'MATCH_ADMIN_ADDR']) {
      expect(envNames(container)).not.toContain(key);
      expect(Object.keys(configMap.data!)).not.toContain(key);
    }
    // The image would seed an empty writable volume with the sample index: never in production.
    expect(container.env!.find((e) => e.name === 'MATCH_SEED_SAMPLE_INDEX')?.value).toBe('false');
    expect(m.one('PersistentVolumeClaim', claimOf(pod, container, imageVolume)).spec!.accessModes).toContain('ReadWriteMany');
  },

  'Services select the Deployment pods and target its named ports': (m) => {
    const services = m.all('Service');
    expect(services.length).toBe(2);
    for (const doc of services) {
      expect(isSubset(doc.spec!.selector, m.deployment.spec!.template.metadata!.labels)).toBe(true);
      for (const p of doc.spec!.ports!) expect(m.container.ports!.map((c) => c.name)).toContain(p.targetPort);
    }
    expect(m.one('Service', 'creator-match').spec!.ports!.find((p) => p.name === 'grpc')!.appProtocol).toBe('grpc');
    expect(m.one('Service', 'creator-match-headless').spec!.clusterIP).toBe('None');
  },

  'HPA scales the Deployment on CPU, and a PDB keeps one pod': (m) => {
    const hpa = m.one('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: m.deployment.metadata!.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas!);
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    const pdb = m.one('PodDisruptionBudget');
    expect(pdb.spec!.minAvailable).toBeGreaterThanOrEqual(1);
    expect(isSubset(pdb.spec!.selector!.matchLabels, m.deployment.spec!.template.metadata!.labels)).toBe(true);
  },

  'the index builder CronJob writes versions to the volume the service reads, one run at a time, and prunes old versions (--keep)': (m) => {
    const { cron, cronPod } = m;
    expect(cron.apiVersion).toBe('batch/v1');
    expect(cron.spec.schedule.split(' ')).toHaveLength(5);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(['Never', 'OnFailure']).toContain(cronPod.restartPolicy);
    const c = cronPod.containers[0]!;
    expect(c.image).toBe(m.container.image);
    expect(c.command).toEqual(expect.arrayContaining(['node', 'dist/index-builder/cli.js']));
    const arg = (flag: string): string | undefined => (c.args!.includes(flag) ? c.args![c.args!.indexOf(flag) + 1] : undefined);
    expect(arg('--out')).toBe(m.configMap.data!.MATCH_INDEX_DIR);
    expect(Number(arg('--keep'))).toBeGreaterThanOrEqual(2);
    expect(Number(arg('--min-recall'))).toBeGreaterThan(0);
    expect(c.volumeMounts!.find((x) => x.mountPath === arg('--out'))!.readOnly ?? false).toBe(false);
    expect(claimOf(cronPod, c, arg('--out')!)).toBe(claimOf(m.pod, m.container, arg('--out')!));
    expect(c.volumeMounts!.some((x) => arg('--input')!.startsWith(x.mountPath + '/'))).toBe(true);
    expect(cronPod.securityContext!.runAsNonRoot).toBe(true);
  },

  'NetworkPolicies: the service pods admit gRPC and metrics on their container ports; the builder pods admit nothing': (m) => {
    const podLabels = m.deployment.spec!.template.metadata!.labels;
    const server = m.all('NetworkPolicy').filter((p) => isSubset(p.spec!.podSelector!.matchLabels, podLabels));
    expect(server).toHaveLength(1);
    const policy = server[0]!;
    expect(policy.spec!.policyTypes).toContain('Ingress');
    const ports = policy.spec!.ingress!.flatMap((r) => r.ports!.map((p) => p.port));
    expect([...ports].sort()).toEqual(['grpc', 'metrics']);
    for (const p of ports) expect(m.container.ports!.map((c) => c.name)).toContain(p);
    const builderLabels = m.cron.spec.jobTemplate.spec!.template.metadata!.labels;
    const builder = m.all('NetworkPolicy').filter((p) => isSubset(p.spec!.podSelector!.matchLabels, builderLabels));
    expect(builder).toHaveLength(1);
    expect(builder[0]!.spec!.policyTypes).toEqual(['Ingress']);
    expect(builder[0]!.spec!.ingress ?? []).toEqual([]);
  },

  'ServiceMonitor scrapes /metrics through the one Service with a metrics port, which reaches the container metrics port': (m) => {
    const sm = m.one('ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    const [endpoint, ...more] = sm.spec.endpoints;
    expect(more).toEqual([]);
    expect(endpoint!.path).toBe('/metrics');
    const selected = m.all('Service').filter((s) => isSubset(sm.spec.selector.matchLabels, s.metadata!.labels) && s.spec!.ports!.some((p) => p.name === endpoint!.port));
    expect(selected.map((s) => s.metadata!.name)).toEqual(['creator-match']);
    const target = selected[0]!.spec!.ports!.find((p) => p.name === endpoint!.port)!.targetPort;
    expect(m.container.ports!.find((p) => p.name === target)!.containerPort).toBe(Number(/:(\d+)$/.exec(m.configMap.data!.MATCH_METRICS_ADDR!)![1]));
  },
};

/** Each edit breaks one property of the rendered manifests; its check must then fail. */
const breakages: Array<{ check: string; what: string; edit: (m: Manifests) => void }> = [
  { check: 'every object', what: 'an object without the app label', edit: (m) => delete m.one('Service', 'creator-match').metadata!.labels!['app.kubernetes.io/name'] },
  { check: 'ServiceAccount', what: 'a token mounted', edit: (m) => (m.one('ServiceAccount').automountServiceAccountToken = true) },
  { check: 'ServiceAccount', what: 'the builder on the default ServiceAccount', edit: (m) => delete m.cronPod.serviceAccountName },
  { check: 'Deployment: selector', what: 'a root pod', edit: (m) => (m.pod.securityContext!.runAsUser = 0) },
  { check: 'Deployment: selector', what: 'a selector the pods do not match', edit: (m) => (m.deployment.spec!.selector.matchLabels!['app.kubernetes.io/component'] = 'other') },
  { check: 'Deployment: gRPC', what: 'the readiness probe on the 1 s default timeout', edit: (m) => delete m.container.readinessProbe!.timeoutSeconds },
  { check: 'Deployment: gRPC', what: 'a liveness timeout as long as its period', edit: (m) => (m.container.livenessProbe!.timeoutSeconds = m.container.livenessProbe!.periodSeconds!) },
  { check: 'Deployment: graceful', what: 'a grace period shorter than preStop + MATCH_SHUTDOWN_GRACE_MS', edit: (m) => (m.pod.terminationGracePeriodSeconds = 10) },
  { check: 'Deployment: config', what: 'a fixed ConfigMap name (edits would not roll the pods)', edit: (m) => (m.configMap.metadata!.name = m.container.envFrom![0]!.configMapRef!.name = 'creator-match') },
  { check: 'Deployment: config', what: 'admin on with the read-only volume', edit: (m) => m.container.env!.push({ name: 'MATCH_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'creator-match-admin', key: 'token', optional: true } } }) },
  { check: 'Deployment: config', what: 'a writable index mount', edit: (m) => (m.container.volumeMounts!.find((x) => x.mountPath === imageVolume)!.readOnly = false) },
  { check: 'Deployment: config', what: 'sample seeding left on', edit: (m) => (m.container.env = m.container.env!.filter((e) => e.name !== 'MATCH_SEED_SAMPLE_INDEX')) },
  { check: 'Deployment: config', what: 'a variable the service does not read', edit: (m) => (m.configMap.data!.MATCH_INDEX_DIRECTORY = '/x') },
  { check: 'Services', what: 'a Service port to a missing container port', edit: (m) => (m.one('Service', 'creator-match').spec!.ports![0]!.targetPort = 'http') },
  { check: 'HPA', what: 'one replica minimum', edit: (m) => (m.one('HorizontalPodAutoscaler').spec.minReplicas = 1) },
  { check: 'the index builder', what: 'no --keep (versions pile up)', edit: (m) => m.cronPod.containers[0]!.args!.splice(m.cronPod.containers[0]!.args!.indexOf('--keep'), 2) },
  { check: 'the index builder', what: 'a builder writing elsewhere', edit: (m) => (m.cronPod.containers[0]!.args![m.cronPod.containers[0]!.args!.indexOf('--out') + 1] = '/tmp/indexes') },
  { check: 'NetworkPolicies', what: 'no policy for the service pods', edit: (m) => (m.one('NetworkPolicy', 'creator-match').spec!.podSelector!.matchLabels!['app.kubernetes.io/component'] = 'api') },
  { check: 'NetworkPolicies', what: 'ingress to the builder', edit: (m) => (m.one('NetworkPolicy', 'creator-match-index-builder').spec!.ingress = [{ from: [{ podSelector: {} }] }]) },
  { check: 'ServiceMonitor', what: 'scraping the gRPC port', edit: (m) => (m.one('ServiceMonitor').spec.endpoints[0]!.port = 'grpc') },
  { check: 'ServiceMonitor', what: 'the metrics Service port to the gRPC container port', edit: (m) => (m.one('Service', 'creator-match').spec!.ports!.find((p) => p.name === 'metrics')!.targetPort = 'grpc') },
];

/** What `validate-k8s.ts --json` prints. */
interface ValidatorReport {
  sources: Array<{ source: string; objects: string[] }>;
  findings: Finding[];
}

function validator(files: string[]): Promise<ValidatorReport> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/container/validate-k8s.ts', '--json', ...files.flatMap((f) => ['--file', f])], { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && (err as { code?: number }).code !== 1) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as ValidatorReport);
    });
  });
}

/** Sets or deletes a field outside the API types: a manifest broken on purpose, for the validator. */
const setUntyped = (obj: object, key: string, value: unknown): void => void Reflect.set(obj, key, value);
const deleteUntyped = (obj: object, key: string): void => void Reflect.deleteProperty(obj, key);

describe('deploy/k8s', () => {
  let tmp: string;
  let base: Manifests;
  let tls: Manifests;

  beforeAll(async () => {
    kubectl = execFileSync(path.join(ROOT, 'scripts', 'container', 'kubectl.sh'), { encoding: 'utf8' }).trim();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cm-k8s-'));
    base = new Manifests(render(DIR));
    // An overlay with the TLS component (kustomize wants relative paths).
    const overlay = path.join(tmp, 'tls');
    await fs.mkdir(overlay);
    const rel = (p: string): string => path.relative(overlay, p);
    await fs.writeFile(path.join(overlay, 'kustomization.yaml'), stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [rel(DIR)], components: [rel(path.join(DIR, 'components', 'tls'))] }));
    tls = new Manifests(render(overlay));
  }, 120_000);
  afterAll(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('the kustomization lists every manifest file', () => {
    const kustomization = parseAllDocuments(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[]; configMapGenerator?: unknown };
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.configMapGenerator).toEqual([expect.objectContaining({ name: 'creator-match', envs: ['config.env'] })]);
  });

  describe('rendered (kubectl kustomize)', () => {
    it.each(Object.keys(checks))('%s', (name) => {
      checks[name]!(base);
    });

    it.each(breakages.map((b) => [b.check, b.what, b] as const))('the check "%s ..." fails with %s', (_c, _w, b) => {
      const name = Object.keys(checks).find((k) => k.startsWith(b.check))!;
      expect(name).toBeDefined();
      const broken = new Manifests(clone(base.docs));
      b.edit(broken);
      expect(JSON.stringify(broken.docs)).not.toBe(JSON.stringify(base.docs));
      expect(() => checks[name]!(broken)).toThrow();
    });
  });

  it('editing config.env renames the ConfigMap and rolls the Deployment (its pod template changes)', async () => {
    const copy = path.join(tmp, 'edited');
    cpSync(DIR, copy, { recursive: true });
    const env = path.join(copy, 'config.env');
    await fs.writeFile(env, (await fs.readFile(env, 'utf8')).replace(/^LOG_LEVEL=info$/m, 'LOG_LEVEL=debug'));
    const edited = new Manifests(render(copy));
    expect(edited.configMap.data!.LOG_LEVEL).toBe('debug');
    expect(edited.configMap.metadata!.name).not.toBe(base.configMap.metadata!.name);
    expect(edited.container.envFrom![0]!.configMapRef!.name).toBe(edited.configMap.metadata!.name);
    expect(JSON.stringify(edited.deployment.spec!.template)).not.toBe(JSON.stringify(base.deployment.spec!.template));
  });

  it('components/tls: exec probes running the image HEALTHCHECK command over TLS, the certificate from a read-only Secret mount, HTTPS scrapes', () => {
    for (const name of Object.keys(checks).filter((k) => !k.startsWith('Deployment: gRPC') && !k.startsWith('ServiceMonitor'))) checks[name]!(tls);
    const { container, pod } = tls;
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      expect([probe, container[probe]!.grpc]).toEqual([probe, undefined]);
      expect(container[probe]!.exec!.command!.slice(0, 2)).toEqual(imageHealthcheck);
      expect(container[probe]!.timeoutSeconds).toBeGreaterThanOrEqual(3);
      expect(container[probe]!.timeoutSeconds).toBeLessThan(container[probe]!.periodSeconds!);
    }
    expect(container.readinessProbe!.exec!.command!.slice(2)).toEqual([`127.0.0.1:${/:(\d+)$/.exec(tls.configMap.data!.MATCH_GRPC_ADDR!)![1]}`, 'creatormatch.v1.CreatorMatcher']);
    const env = Object.fromEntries(container.env!.map((e) => [e.name, e.value]));
    for (const key of ['MATCH_TLS_CERT_FILE', 'MATCH_TLS_KEY_FILE']) {
      const mount = container.volumeMounts!.find((x) => env[key]!.startsWith(`${x.mountPath}/`));
      expect([key, mount?.readOnly]).toEqual([key, true]);
      expect(pod.volumes!.find((v) => v.name === mount!.name)!.secret!.secretName).toBe('creator-match-tls');
    }
    expect(() => loadConfig({ ...tls.configMap.data, ...env, MATCH_TLS_CERT_FILE: env.MATCH_TLS_CERT_FILE })).not.toThrow();
    expect(tls.deployment.spec!.template.metadata!.annotations!['prometheus.io/scheme']).toBe('https');
    expect(tls.one('ServiceMonitor').spec.endpoints[0]).toMatchObject({ port: 'metrics', scheme: 'https', tlsConfig: { ca: { secret: { name: 'creator-match-tls' } } } });
  });

  it('validates against the Kubernetes and prometheus-operator schemas, and the validator finds broken manifests', async () => {
    const write = async (name: string, docs: KubeObject[]): Promise<string> => {
      const f = path.join(tmp, `${name}.yaml`);
      await fs.writeFile(f, docs.map((d) => stringify(d)).join('---\n'));
      return f;
    };
    const broken = (edit: (m: Manifests) => void): KubeObject[] => {
      const m = new Manifests(clone(base.docs));
      edit(m);
      return m.docs;
    };
    const files = {
      base: await write('base', base.docs),
      tls: await write('tls', tls.docs),
      probeTypo: await write('probe-typo', broken((m) => setUntyped(m.container.readinessProbe!, 'timeoutSecond', 3))),
      portString: await write('port-string', broken((m) => setUntyped(m.container.ports![0]!, 'containerPort', '50051'))),
      noName: await write('no-name', broken((m) => deleteUntyped(m.cronPod.containers[0]!, 'name'))),
      smTypo: await write('sm-typo', broken((m) => setUntyped(m.one('ServiceMonitor').spec.endpoints[0]!, 'intervall', '30s'))),
      unknownKind: await write('unknown-kind', broken((m) => setUntyped(m.one('PodDisruptionBudget'), 'kind', 'PodDisruptionBudgett'))),
    };
    const result = await validator(Object.values(files));
    const findings = (file: string): string[] => result.findings.filter((f) => f.source === file).map((f) => `${f.object} [${f.check}] ${f.message}`);
    expect(result.sources.find((s) => s.source === files.base)!.objects).toEqual(expect.arrayContaining(['Deployment/creator-match', 'ServiceMonitor/creator-match', 'NetworkPolicy/creator-match', `ConfigMap/${base.configMap.metadata!.name}`]));
    expect(findings(files.base)).toEqual([]);
    expect(findings(files.tls)).toEqual([]);
    expect(findings(files.probeTypo)).toEqual([expect.stringMatching(/^Deployment\/creator-match \[fields\] .*'"timeoutSecond"' does not exist in type 'IProbe'/)]);
    expect(findings(files.portString)).toEqual(expect.arrayContaining([expect.stringMatching(/^Deployment\/creator-match \[schema\] .*containerPort must be integer/)]));
    expect(findings(files.noName)).toEqual(expect.arrayContaining([expect.stringMatching(/^CronJob\/creator-match-index-builder \[schema\] .*must have required property '?name'?/)]));
    expect(findings(files.smTypo)).toEqual([expect.stringMatching(/^ServiceMonitor\/creator-match \[fields\] .*'"intervall"' does not exist in type 'IEndpoint'/)]);
    expect(findings(files.unknownKind)).toEqual(expect.arrayContaining([expect.stringMatching(/^PodDisruptionBudgett\/creator-match \[schema\] no schema for apiVersion policy\/v1/)]));
  }, 60_000);
});
