// Builds the app into dist/, which CMake embeds into the tracevault binary
// (docs/webapp.md). Hashed file names under /assets/ are cached for a year;
// index.html is served for every path under /app/.
//
// `npm run dev` serves the sources on 127.0.0.1:TV_DEV_PORT (5173) and forwards API paths to
// a tracevault server at TV_DEV_SERVER (default http://127.0.0.1:8000). Sign in
// as usual; data routes then go to the server's public URL, so start it with
// `--cors-origins http://127.0.0.1:5173` — or set VITE_TV_API_KEY to an API key,
// which the app then uses instead of data-plane tokens, all through the proxy.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const target = process.env.TV_DEV_SERVER ?? 'http://127.0.0.1:8000';
const port = Number(process.env.TV_DEV_PORT ?? 5173);
const apiPaths = ['/api', '/v1', '/btql', '/logs3', '/experiment-comparison2', '/dataset-summary', '/version'];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    host: '127.0.0.1',
    port,
    strictPort: true,
    proxy: Object.fromEntries(apiPaths.map((p) => [p, { target, changeOrigin: false }])),
  },
});
