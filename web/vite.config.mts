// The relevance workbench's page: `npm run web:build` (vite build web) writes web/dist, which the service serves
// (MATCH_UI_ADDR, src/ui/static-files.ts). Plain TypeScript and CSS: no framework, no CDN, no
// web fonts; everything the page loads comes from the service's own origin.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    // Everything is a file of its own (the page's CSP has no inline script or style).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
