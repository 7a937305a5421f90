import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { renderTui } from './screen/headless.js';
import { SCENES } from './scenes.js';

// `npm run screenshots`: play every scene headless and write screenshots/NAME.svg and NAME.txt (the text
// is exactly what the snapshot tests compare). Times are shown in UTC so the pictures do not depend on
// where they were made.

process.env.TZ = 'UTC';
const require = createRequire(import.meta.url);
// ansi-to-svg has no types; it takes ANSI text and returns an SVG document.
const ansiToSvg = require('ansi-to-svg') as (ansi: string, options?: Record<string, unknown>) => string;

const dir = path.resolve(process.argv[2] ?? 'screenshots');
mkdirSync(dir, { recursive: true });
for (const scene of SCENES) {
  const t = renderTui({ cols: scene.cols, rows: scene.rows });
  await scene.play(t);
  const text = t.lastFrame();
  const ansi = t.lastFrameAnsi();
  t.cleanup();
  writeFileSync(path.join(dir, `${scene.name}.txt`), text + '\n');
  writeFileSync(path.join(dir, `${scene.name}.svg`), ansiToSvg(ansi, { paddingTop: 8, paddingLeft: 8, paddingRight: 8, paddingBottom: 8 }));
  console.log(`${scene.name}: ${scene.title}`);
}
process.exit(0);
