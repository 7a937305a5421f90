// Preloaded into a server process by test/server/join-cost.test.ts (NODE_OPTIONS=--require): counts the
// calls to process.stdout.write and keeps the count in the file named by PARLEY_TEST_STDOUT_WRITES, so the
// test reads how many writes the console took, whatever else the process writes (V8's and libuv's own
// eventfd wake-ups, which /proc/PID/io's syscw counted too) and however late the reader of the pipe reads.
'use strict';
const fs = require('node:fs');
const file = process.env.PARLEY_TEST_STDOUT_WRITES;
if (file) {
  let calls = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (...args) => {
    // Whole or not at all (a rename), whenever the test reads it or stops this process.
    fs.writeFileSync(`${file}.new`, String(++calls));
    fs.renameSync(`${file}.new`, file);
    return write(...args);
  };
}
