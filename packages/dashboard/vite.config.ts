import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard build. The panel serves dist/ under a strict CSP
 * (script-src 'self'; style-src 'self'), so nothing may be inlined into
 * index.html: no module-preload polyfill script, CSS in files only.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script in index.html; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    // Small assets would become data: URLs in CSS; img-src allows data:, but fonts and the rest would not.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
