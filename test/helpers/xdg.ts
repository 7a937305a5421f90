import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Every test file runs with its own empty XDG config directory, so no test reads or writes the real
// ~/.config/parley (a trusted key left there by one test would change what the next one sees), and the
// client processes the tests spawn inherit it.
process.env.XDG_CONFIG_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-xdg-'));
