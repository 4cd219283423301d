/**
 * The reference server for HTTP benchmarks: Fastify 5 over HTTPS with
 * default options (no logger, no hooks, no plugins) and one route that
 * returns a fixed JSON document, serialised on every request like any
 * route without a response schema. Run as its own process:
 *
 *   node bench/lib/bare-fastify-server.ts <key.pem> <cert.pem> <body.json> [route]
 *
 * Prints `{"port":N}` on stdout once listening on 127.0.0.1; exits on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [keyPath, certPath, bodyPath, route = '/'] = process.argv.slice(2);
if (!keyPath || !certPath || !bodyPath) {
  process.stderr.write('usage: bare-fastify-server.ts <key.pem> <cert.pem> <body.json> [route]\n');
  process.exit(2);
}

const body: unknown = JSON.parse(readFileSync(bodyPath, 'utf8'));
const app = Fastify({
  https: { key: readFileSync(keyPath), cert: readFileSync(certPath), minVersion: 'TLSv1.2' },
});
app.get(route, async () => body);

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
);

process.once('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
