// Vite + Vitest configuration. `npm run dev` proxies /api to a running DocuVault
// (DOCUVAULT_API_URL, default http://127.0.0.1:8080) so the SPA is same-origin, as in production.
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

const api = process.env.DOCUVAULT_API_URL ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // The timing report is about this slow, shared machine, not about the app.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.spec.ts'],
    restoreMocks: true,
  },
})
