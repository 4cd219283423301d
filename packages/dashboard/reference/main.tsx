import { createRoot } from 'react-dom/client';

/**
 * The benchmark's reference (bench/dashboard.bench.ts): the smallest React
 * app Vite builds, so the dashboard's bundle and first render are read
 * against what React itself costs on the same machine.
 */
const root = document.getElementById('root');
if (root) createRoot(root).render(<h1>Hello from React</h1>);
