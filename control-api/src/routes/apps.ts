import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export interface AppsPluginOptions {
  /** Folder holding `viewer/dist` and `studio/dist` (default: the repository root). */
  root?: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const APPS = ['viewer', 'studio'] as const;

/**
 * The built browser apps, one URL with the API: `/viewer/` (classrooms) and
 * `/studio/` (speakers, moderators), from each workspace's `dist/`
 * (`npm start` builds them first). A missing build answers 503 with how to make it;
 * a source map answers 404.
 */
export const appsPlugin: FastifyPluginAsync<AppsPluginOptions> = async (app, opts) => {
  const root = opts.root ?? REPO_ROOT;
  let decorated = false;
  for (const name of APPS) {
    const dist = path.join(root, name, 'dist');
    app.get(`/${name}`, { schema: { hide: true } }, async (req, reply) => {
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      return reply.redirect(`/${name}/${query}`);
    });
    if (!existsSync(path.join(dist, 'index.html'))) {
      app.get(`/${name}/*`, { schema: { hide: true } }, async (_req, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(
            `The ${name} app is not built: run "npm run build -w ${name}" (npm start does it).\n`,
          ),
      );
      continue;
    }
    await app.register(fastifyStatic, {
      root: dist,
      prefix: `/${name}/`,
      decorateReply: !decorated,
      index: ['index.html'],
      // Source maps (with the sources) stay on the server, for reading a reported stack trace.
      allowedPath: (pathName) => !pathName.endsWith('.map'),
      // Hashed assets are immutable; index.html must always be fresh.
      setHeaders: (res, file) => {
        res.header(
          'cache-control',
          file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
        );
      },
    });
    decorated = true;
  }
};
