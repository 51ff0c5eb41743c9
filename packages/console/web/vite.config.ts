// Vite build of the console web UI: `vite build packages/console/web` writes dist/, which the console serves.
// No external resources: system fonts, inline SVG, everything bundled.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
});
