import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const controlApi = process.env.AMPHI_CONTROL_API ?? 'http://localhost:8080';

// Served by the control-api under /viewer/; in dev, Vite proxies REST and signaling to it.
export default defineConfig({
  base: '/viewer/',
  plugins: [react()],
  server: {
    port: 5174,
    proxy: {
      '/api': { target: controlApi, changeOrigin: true },
      '/v1': { target: controlApi, changeOrigin: true, ws: true },
    },
  },
  // Source maps stay beside the build, unlinked ('hidden'): browsers never ask for them
  // and the control-api does not serve them (they hold the sources).
  // Two pages: the classroom (index.html) and the network check before the event
  // (check/index.html, served at /viewer/check/).
  build: {
    outDir: 'dist',
    sourcemap: 'hidden',
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        check: fileURLToPath(new URL('check/index.html', import.meta.url)),
      },
    },
  },
});
