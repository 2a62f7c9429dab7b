// vega-lite ships its types behind package "exports" that moduleResolution "node" cannot see;
// the benches use only compile().
declare module 'vega-lite' {
  export function compile(spec: unknown): { spec: import('vega').Spec };
}
