import { afterAll } from 'vitest';
import { removeTempDirs, tempDir } from './tmp.js';

// Every test file runs with its own empty XDG config directory, so no test reads or writes the real
// ~/.config/parley (a trusted key left there by one test would change what the next one sees), and the
// client processes the tests spawn inherit it.
process.env.XDG_CONFIG_HOME = tempDir('parley-xdg-');

// Registered before any of the file's own hooks, so it runs after them (vitest runs after-hooks in reverse):
// the servers and clients a file closes in its afterAll are gone before their directories are.
afterAll(removeTempDirs);
