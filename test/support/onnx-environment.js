'use strict';
/**
 * Jest environment for tests that run onnxruntime / transformers.js.
 *
 * Jest runs each test file in its own vm realm with its own typed-array constructors, while the
 * onnxruntime-node binding creates outputs with the outer realm's. Checks such as
 * `data instanceof Float32Array` in onnxruntime-common then fail ("A float32 tensor's data must be
 * type of function Float32Array()"). Sharing the outer realm's binary-data constructors fixes it.
 *
 * Use per file with the docblock `@jest-environment ./test/support/onnx-environment.js`,
 * or for every file via `testEnvironment` in jest.config.js.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) {
      if (globalThis[name] !== undefined) this.global[name] = globalThis[name];
    }
  }
}

module.exports = OnnxEnvironment;
