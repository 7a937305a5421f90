import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { screenshot } from './screen/svg.js';
import { SCENES } from './scenes.js';

// `npm run screenshots`: play every scene headless and write screenshots/NAME.svg and NAME.txt (the text
// is exactly what the snapshot tests compare). The SVG is drawn from a terminal emulator fed with the
// client's bytes, so its colours, backgrounds and cell positions are a terminal's. Times are shown in UTC
// so the pictures do not depend on where they were made.

process.env.TZ = 'UTC';

const dir = path.resolve(process.argv[2] ?? 'screenshots');
mkdirSync(dir, { recursive: true });
for (const scene of SCENES) {
  const { text, svg } = await screenshot(scene);
  writeFileSync(path.join(dir, `${scene.name}.txt`), text + '\n');
  writeFileSync(path.join(dir, `${scene.name}.svg`), svg);
  console.log(`${scene.name}: ${scene.title}`);
}
process.exit(0);
