import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const controlApi = process.env.AMPHI_CONTROL_API ?? 'http://localhost:8080';

// Served by the control-api under /studio/; in dev, Vite proxies REST and signaling to it.
export default defineConfig({
  base: '/studio/',
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      '/api': { target: controlApi, changeOrigin: true },
      '/v1': { target: controlApi, changeOrigin: true, ws: true },
    },
  },
  // zod schemas and mediasoup-client make one ~700 kB chunk; fine for a studio on a laptop.
  // Source maps stay beside the build, unlinked ('hidden'): browsers never ask for them
  // and the control-api does not serve them (they hold the sources).
  build: { outDir: 'dist', sourcemap: 'hidden', chunkSizeWarningLimit: 1000 },
});
