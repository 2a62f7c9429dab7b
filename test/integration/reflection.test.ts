import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { ADMIN_TOKEN, startServer, tempDir, writeJsonl, type Running } from '../helpers/server';
import { buildIndex } from '../../index-builder/build-index';
import { syntheticCreators } from '../helpers/synthetic';

// Drives server reflection the way grpcurl does: list the services, fetch the file that declares a
// symbol (and its imports), build a client from those descriptors alone, and call a method.

interface ReflectionResponse {
  list_services_response?: { service: Array<{ name: string }> };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
const pkg = grpc.loadPackageDefinition(loadSync(reflectionProto, { keepCase: true, defaults: true, oneofs: true, longs: String }));
const ServerReflection = (((pkg.grpc as grpc.GrpcObject).reflection as grpc.GrpcObject).v1 as grpc.GrpcObject).ServerReflection as grpc.ServiceClientConstructor;

/** One reflection request on its own stream. */
function reflect(port: number, request: Record<string, unknown>): Promise<ReflectionResponse> {
  const client = new ServerReflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, ReflectionResponse> }).ServerReflectionInfo();
    call.on('data', (r: ReflectionResponse) => {
      resolve(r);
      call.end();
      client.close();
    });
    call.on('error', reject);
    call.write(request);
  });
}

async function listServices(port: number): Promise<string[]> {
  const r = await reflect(port, { list_services: '*' });
  return r.list_services_response!.service.map((s) => s.name).sort();
}

/** A protobufjs root built only from the descriptors the server returns for `symbol`. */
async function describe_(port: number, symbol: string): Promise<protobuf.Root> {
  const r = await reflect(port, { file_containing_symbol: symbol });
  if (r.error_response) throw new Error(`reflection: ${r.error_response.error_message}`);
  const files = r.file_descriptor_response!.file_descriptor_proto.map((b) => descriptor.FileDescriptorProto.decode(b));
  return (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor({ file: files });
}

/** Calls a unary method through a client made from reflected descriptors (no .proto on disk). */
async function callByReflection(port: number, service: string, method: string, request: Record<string, unknown>, metadata = new grpc.Metadata()): Promise<Record<string, unknown>> {
  const root = await describe_(port, service);
  const m = root.lookupService(service).methods[method]!.resolve() as protobuf.Method;
  const req = m.resolvedRequestType!;
  const res = m.resolvedResponseType!;
  const Client = grpc.makeGenericClientConstructor(
    {
      [method]: {
        path: `/${service}/${method}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (o: Record<string, unknown>) => Buffer.from(req.encode(req.fromObject(o)).finish()),
        requestDeserialize: (b: Buffer) => req.decode(b),
        responseSerialize: (o: protobuf.Message) => Buffer.from(res.encode(o).finish()),
        responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), { enums: String, longs: String, defaults: true }),
      },
    },
    service,
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<string, (r: unknown, md: grpc.Metadata, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>;
  try {
    return await new Promise((resolve, reject) => client[method]!(request, metadata, (err, value) => (err ? reject(err) : resolve(value))));
  } finally {
    (client as unknown as grpc.Client).close();
  }
}

describe('server reflection tells the truth (grpcurl-style: list, describe, call)', () => {
  let indexDir: string;
  beforeAll(async () => {
    const dir = await tempDir('reflection-');
    const input = path.join(dir, 'creators.jsonl');
    await writeJsonl(input, syntheticCreators(60, 8, 2));
    indexDir = path.join(dir, 'idx');
    await buildIndex({ input, out: indexDir });
  });

  describe('admin off', () => {
    let running: Running;
    beforeAll(async () => {
      running = await startServer(indexDir);
    });
    afterAll(() => running.stop());

    it('lists exactly the services this port serves: CreatorMatcher and health, no IndexAdmin', async () => {
      expect(await listServices(running.port)).toEqual(['creatormatch.v1.CreatorMatcher', 'grpc.health.v1.Health']);
    });

    it('describes health and answers a Check made from the reflected descriptors', async () => {
      expect(await callByReflection(running.port, 'grpc.health.v1.Health', 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    });

    it('describes CreatorMatcher and answers GetIndexInfo made from the reflected descriptors', async () => {
      const info = await callByReflection(running.port, 'creatormatch.v1.CreatorMatcher', 'GetIndexInfo', {});
      expect(info.creator_count).toBe('60');
      expect(info.dims).toBe(8);
    });

    it('does not describe IndexAdmin', async () => {
      await expect(describe_(running.port, 'creatormatch.v1.IndexAdmin')).rejects.toThrow(/not found|reflection/i);
    });
  });

  it('admin on the same port: IndexAdmin is listed and callable by reflection', async () => {
    const running = await startServer(indexDir, { MATCH_ADMIN_TOKEN: ADMIN_TOKEN });
    try {
      expect(await listServices(running.port)).toEqual(['creatormatch.v1.CreatorMatcher', 'creatormatch.v1.IndexAdmin', 'grpc.health.v1.Health']);
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${ADMIN_TOKEN}`);
      const r = await callByReflection(running.port, 'creatormatch.v1.IndexAdmin', 'DeleteCreators', { ids: ['nobody'] }, md);
      expect(r).toMatchObject({ deleted: 0, not_found: ['nobody'] });
    } finally {
      await running.stop();
    }
  });

  it('admin on its own port: the main port does not list it, the admin port lists only it', async () => {
    const running = await startServer(indexDir, { MATCH_ADMIN_TOKEN: ADMIN_TOKEN, MATCH_ADMIN_ADDR: '127.0.0.1:0' });
    try {
      const adminPort = await running.app.listenAdmin('127.0.0.1:0');
      expect(await listServices(running.port)).toEqual(['creatormatch.v1.CreatorMatcher', 'grpc.health.v1.Health']);
      expect(await listServices(adminPort!)).toEqual(['creatormatch.v1.IndexAdmin']);
      await expect(describe_(running.port, 'creatormatch.v1.IndexAdmin')).rejects.toThrow(/not found|reflection/i);
      await expect(describe_(adminPort!, 'creatormatch.v1.CreatorMatcher')).rejects.toThrow(/not found|reflection/i);
    } finally {
      await running.stop();
    }
  });
});
