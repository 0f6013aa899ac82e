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
  build: { outDir: 'dist', sourcemap: true },
});
