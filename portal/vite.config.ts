import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const controlApi = process.env.AMPHI_CONTROL_API ?? 'http://localhost:8080';

// Served by the control-api under /portal/; in dev, Vite proxies the REST API to it.
export default defineConfig({
  base: '/portal/',
  plugins: [react()],
  server: {
    port: 5176,
    proxy: {
      '/api': { target: controlApi, changeOrigin: true },
    },
  },
  // Source maps stay beside the build, unlinked ('hidden'): browsers never ask for them
  // and the control-api does not serve them (they hold the sources).
  build: { outDir: 'dist', sourcemap: 'hidden' },
});
