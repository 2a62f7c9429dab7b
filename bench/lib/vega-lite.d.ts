// vega-lite ships its types behind package "exports" that moduleResolution "node" cannot see;
// the benches use only compile().
declare module 'vega-lite' {
  import type { Spec } from 'vega';
  export function compile(spec: unknown): { spec: Spec };
}
