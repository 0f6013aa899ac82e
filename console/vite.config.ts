import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const controlApi = process.env.AMPHI_CONTROL_API ?? 'http://localhost:8080';

// Served by the control-api under /console/; in dev, Vite proxies the REST API to it
// (the session cookie is the API's: path /api/, same origin through the proxy).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  server: {
    port: 5177,
    proxy: {
      '/api': { target: controlApi, changeOrigin: true },
    },
  },
  // Source maps stay beside the build, unlinked ('hidden'): browsers never ask for them
  // and the control-api does not serve them (they hold the sources).
  // zod schemas make one ~600 kB chunk; fine for an operator's desk.
  build: { outDir: 'dist', sourcemap: 'hidden', chunkSizeWarningLimit: 1000 },
});
