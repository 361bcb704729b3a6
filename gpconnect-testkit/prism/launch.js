// Starts Prism and stops it when the test process that launched this script goes away
// (its end of our stdin closes), so no Prism outlives the tests.
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const bin = path.join(__dirname, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');
const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], { stdio: ['ignore', 'inherit', 'inherit'] });
const stop = () => { child.kill('SIGTERM'); setTimeout(() => process.exit(0), 500).unref(); };
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
child.on('exit', (code) => process.exit(code === null ? 1 : code));
