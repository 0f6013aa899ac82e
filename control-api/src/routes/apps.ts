import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export interface AppsPluginOptions {
  /** Folder holding `viewer/dist`, `studio/dist`, `portal/dist` and `console/dist` (default: the repository root). */
  root?: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const APPS = ['viewer', 'studio', 'portal', 'console'] as const;

/*
 * `/` for someone who opened the bare address: what Amphi is and which link
 * to open. Join links carry tokens: this page never lists them, it says where
 * they are (the terminal that started Amphi, or `npm start -- --links`).
 */
const HOME_CSS = `body{font-family:system-ui,sans-serif;font-size:20px;line-height:1.5;max-width:42em;margin:2em auto;padding:0 1em;background:#101418;color:#f5f5f5}
a{color:#ffd24a}code{background:#1f2730;padding:0.1em 0.3em;border-radius:0.2em}section{border-top:2px solid #2b3a4a;margin-top:1.5em}`;
const HOME_HTML = `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Amphi</title><link rel="stylesheet" href="/home.css"></head>
<body>
<main>
<h1>Amphi</h1>
<p>Des professionnels parlent en direct à des classes&#8239;: les classes les voient et les entendent, posent leurs questions, et une classe peut passer sur scène.</p>
<h2>Par quoi commencer&#8239;?</h2>
<ol>
<li>Ouvrez le <strong>lien de l’intervenant ou de l’intervenante</strong> affiché dans le terminal qui a lancé Amphi&#8239;: c’est le studio (<a href="/studio/">/studio/</a>), d’où l’on passe en direct.</li>
<li>Ouvrez le <strong>lien de modération</strong>&#8239;: la console qui trie les questions.</li>
<li>Ouvrez un <strong>lien de classe</strong>&#8239;: l’écran de la classe (<a href="/viewer/">/viewer/</a>), à projeter au tableau.</li>
</ol>
<p>Vous enseignez&#8239;? Le <a href="/portal/">portail des enseignants</a> présente les séances à venir et inscrit une classe.</p>
<p>Vous organisez les séances&#8239;? La <a href="/console/">console des opérateurs</a> (compte personnel).</p>
<p>Chaque lien contient une clé d’accès&#8239;: cette page ne les affiche pas. Le terminal les a écrits au premier démarrage&#8239;; <code>npm start -- --links</code> en écrit de nouveaux.</p>
<section lang="en">
<h2>In English</h2>
<p>Amphi broadcasts live career talks to classrooms. Open the speaker’s link printed by the terminal that started Amphi (the studio, <a href="/studio/">/studio/</a>), then the moderator’s link (the console), then a classroom link (<a href="/viewer/">/viewer/</a>). Links carry access keys, so this page does not show them: <code>npm start -- --links</code> prints new ones. Teachers find the upcoming talks and enrol a class on the <a href="/portal/">teachers’ portal</a>. Operators sign in to the <a href="/console/">operator console</a>.</p>
</section>
</main>
</body>
</html>
`;

/**
 * The built browser apps, one URL with the API: `/viewer/` (classrooms),
 * `/studio/` (speakers, moderators), `/portal/` (teachers), `/console/` (operators), from each workspace's `dist/`
 * (`npm start` builds them first). A missing build answers 503 with how to make it;
 * a source map answers 404.
 */
export const appsPlugin: FastifyPluginAsync<AppsPluginOptions> = async (app, opts) => {
  const root = opts.root ?? REPO_ROOT;
  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(HOME_HTML),
  );
  app.get('/home.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').send(HOME_CSS),
  );
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
