// Vite build of the console web UI: `vite build packages/console/web` writes dist/, which the console serves.
// No external resources: system fonts, inline SVG, everything bundled.
import { defaultClientConditions, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  // Our packages are read from their TypeScript sources (export condition `source`), so the UI builds before them.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
});
