/**
 * Validates Kubernetes manifests against the Kubernetes API schemas, offline:
 *   node --import tsx scripts/container/validate-k8s.ts [--kustomize DIR]... [--file RENDERED.yaml]... [--json]
 * (default: --kustomize deploy/k8s). Every document is checked twice:
 * - schema: the JSON schema of its apiVersion/kind (types, formats, required fields, enums), from the
 *   npm packages kubernetes-models (the built-in API) and @kubernetes-models/prometheus-operator
 *   (the ServiceMonitor CRD). A kind without a schema is a finding, never skipped;
 * - fields: those packages' TypeScript declarations, with the TypeScript compiler: an unknown field
 *   (a typo such as `timeoutSecond`) is an error there, while the upstream JSON schemas allow it.
 * kustomize output comes from `kubectl kustomize` (scripts/container/kubectl.sh). Exits 1 on any finding.
 * kubernetes-models is ESM only: this runs as a process of its own, not inside jest.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const REPO = path.resolve(__dirname, '..', '..');

export interface Finding {
  source: string;
  /** kind/name of the document (or its index when it has none). */
  object: string;
  check: 'schema' | 'fields' | 'parse';
  message: string;
}

/** A parsed YAML document (a Kubernetes object if it is valid). */
export type Doc = Record<string, unknown>;

export interface Source {
  name: string;
  docs: Doc[];
}

/** npm module and exported interface holding the schema of an apiVersion + kind. */
export function modelFor(apiVersion: string, kind: string): { module: string; type: string } | undefined {
  if (!/^[A-Za-z0-9]+$/.test(kind)) return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!group) return { module: `kubernetes-models/${version}/${kind}`, type: `I${kind}` };
  // Custom resources: one package per operator.
  const crds: Record<string, string> = { 'monitoring.coreos.com': '@kubernetes-models/prometheus-operator' };
  const pkg = group.includes('.') && !group.endsWith('.k8s.io') ? crds[group] : 'kubernetes-models';
  return pkg ? { module: `${pkg}/${group}/${version}/${kind}`, type: `I${kind}` } : undefined;
}

/** The model of a document that has a string apiVersion and kind. */
function docModel(doc: Doc): { module: string; type: string; kind: string } | undefined {
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const model = modelFor(apiVersion, kind);
  return model && { ...model, kind };
}

const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);
/** A YAML value in a label: a string as it is, another value (a malformed document's) as JSON, `fallback` when null or absent. */
const labelPart = (v: unknown, fallback: string): string => (v === undefined || v === null ? fallback : typeof v === 'string' ? v : JSON.stringify(v));
const label = (doc: Doc, i: number): string => `${labelPart(doc.kind, '?')}/${labelPart(field(doc.metadata, 'name'), `#${i}`)}`;

export function renderKustomize(dir: string): string {
  const kubectl = execFileSync(path.join(REPO, 'scripts', 'container', 'kubectl.sh'), { encoding: 'utf8' }).trim();
  return execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

export function parseYaml(name: string, text: string): { source: Source; findings: Finding[] } {
  const findings: Finding[] = [];
  const docs = parseAllDocuments(text).flatMap((d, i) => {
    if (d.errors.length > 0) {
      findings.push({ source: name, object: `#${i}`, check: 'parse', message: d.errors.map((e) => e.message).join('; ') });
      return [];
    }
    const js = d.toJS() as Doc | null;
    return js ? [js] : [];
  });
  return { source: { name, docs }, findings };
}

async function schemaFindings(sources: Source[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const { name, docs } of sources) {
    for (const [i, doc] of docs.entries()) {
      const model = docModel(doc);
      let Model: (new (data: unknown) => { validate(): void }) | undefined;
      if (model) {
        try {
          Model = ((await import(model.module)) as Record<string, typeof Model>)[model.kind];
        } catch {
          Model = undefined;
        }
      }
      if (!Model) {
        findings.push({ source: name, object: label(doc, i), check: 'schema', message: `no schema for apiVersion ${String(doc.apiVersion)} kind ${String(doc.kind)}` });
        continue;
      }
      try {
        new Model(doc).validate();
      } catch (err) {
        for (const line of (err as Error).message.split(/,\s*(?=data)/)) findings.push({ source: name, object: label(doc, i), check: 'schema', message: line.trim() });
      }
    }
  }
  return findings;
}

function fieldFindings(sources: Source[]): Finding[] {
  const file = path.join(REPO, '__k8s_manifest_check__.ts');
  const imports: string[] = [];
  const body: string[] = [];
  const spans: Array<{ from: number; to: number; source: string; object: string }> = [];
  let n = 0;
  for (const { name, docs } of sources) {
    for (const [i, doc] of docs.entries()) {
      const model = docModel(doc);
      if (!model) continue; // reported by the schema check
      imports.push(`import type { ${model.type} as T${n} } from ${JSON.stringify(model.module)};`);
      const literal = `export const r${n}: T${n} = ${JSON.stringify(doc, null, 2)};`;
      spans.push({ from: body.length, to: body.length + literal.split('\n').length - 1, source: name, object: label(doc, i) });
      body.push(...literal.split('\n'));
      n++;
    }
  }
  const offset = imports.length;
  const text = [...imports, ...body].join('\n') + '\n';
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, lang, onError, create) => (path.resolve(fileName) === file ? ts.createSourceFile(fileName, text, lang, true) : getSourceFile(fileName, lang, onError, create));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === file || fileExists(f);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => (path.resolve(f) === file ? text : readFile(f));
  const program = ts.createProgram([file], options, host);
  const lines = text.split('\n');
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && path.resolve(d.file.fileName) === file && d.start !== undefined)
    .map((d) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start!).line;
      const span = spans.find((s) => line - offset >= s.from && line - offset <= s.to);
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ');
      return { source: span?.source ?? '?', object: span?.object ?? (line < offset ? 'import' : '?'), check: 'fields' as const, message: `${message} (at: ${lines[line]!.trim()})` };
    });
}

export async function validate(sources: Source[]): Promise<Finding[]> {
  return [...(await schemaFindings(sources)), ...fieldFindings(sources)];
}

if (require.main === module) {
  void (async () => {
    const argv = process.argv.slice(2);
    const values = (flag: string): string[] => argv.flatMap((a, i) => (a === flag && argv[i + 1] ? [argv[i + 1]!] : []));
    const json = argv.includes('--json');
    const kustomize = values('--kustomize');
    const files = values('--file');
    if (kustomize.length === 0 && files.length === 0) kustomize.push(path.join(REPO, 'deploy', 'k8s'));
    const sources: Source[] = [];
    const findings: Finding[] = [];
    for (const [name, text] of [...kustomize.map((d) => [d, renderKustomize(d)] as const), ...files.map((f) => [f, readFileSync(f, 'utf8')] as const)]) {
      const parsed = parseYaml(name, text);
      sources.push(parsed.source);
      findings.push(...parsed.findings);
    }
    findings.push(...(await validate(sources)));
    const summary = sources.map((s) => ({ source: s.name, objects: s.docs.map((d, i) => label(d, i)) }));
    if (json) process.stdout.write(JSON.stringify({ sources: summary, findings }, null, 2) + '\n');
    else {
      for (const s of summary) process.stdout.write(`${s.source}: ${s.objects.length} objects (${s.objects.join(', ')})\n`);
      for (const f of findings) process.stdout.write(`  ${f.source} ${f.object} [${f.check}] ${f.message}\n`);
      process.stdout.write(findings.length === 0 ? 'valid\n' : `${findings.length} finding(s)\n`);
    }
    process.exitCode = findings.length === 0 ? 0 : 1;
  })();
}
