import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The park server (API, Socket.IO, metrics) that `npm run dev -w web` proxies to.
const PARK_SERVER_URL = 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    // Workspace packages (@park/protocol) are bundled from their TypeScript
    // sources through the "source" export condition: no prior build needed.
    conditions: ['source', ...defaultClientConditions],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target: PARK_SERVER_URL },
      '/metrics': { target: PARK_SERVER_URL },
      '/socket.io': { target: PARK_SERVER_URL, ws: true },
    },
  },
});
