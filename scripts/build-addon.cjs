// Builds the native addon (binding.gyp → build/Release/rozen_native.node) with node-gyp: the package's
// install step, and the first step of `npm run build`. It looks for the tools node-gyp needs first, so
// that a machine without them is told which are missing rather than shown node-gyp's long failure.
// --incremental runs `node-gyp build` when build/ is already configured (as `npm ci` has just done).
'use strict';
const { spawnSync } = require('node:child_process');
const { accessSync, constants, existsSync } = require('node:fs');
const { delimiter, join } = require('node:path');

const root = join(__dirname, '..');

const missing = missingTools(process.env);
if (missing.length > 0) {
  const names = missing.map((t) => t.command).join(', ');
  const packages = missing.map((t) => t.debian).join(' ');
  console.error(`rozen: cannot build the native addon: missing ${names} (node-gyp needs python3, make, cc and g++)`);
  console.error(`rozen: on Debian or Ubuntu, as root: apt-get install -y ${packages}`);
  process.exit(1);
}

const configured = existsSync(join(root, 'build/Makefile')) && existsSync(join(root, 'build/config.gypi'));
const action = process.argv.includes('--incremental') && configured ? 'build' : 'rebuild';
const [command, args] = nodeGyp();
// make's progress lines (stdout) are dropped; compiler and node-gyp errors (stderr) are shown.
const run = spawnSync(command, [...args, action, `--jobs=${process.env.JOBS ?? 'max'}`, '--loglevel=error'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (run.error) console.error(`rozen: cannot run node-gyp: ${run.error.message}`);
process.exit(run.status ?? 1);

/** The tools node-gyp runs on Linux that are not on the PATH, with the Debian package of each. */
function missingTools(env) {
  const python = env.npm_config_python || env.PYTHON;
  const make = env.MAKE || 'make';
  // gyp's Makefile compiles C with $(CC), make's default cc, and links with $(CXX), make's default g++.
  const cc = firstWord(env.CC) || 'cc';
  const cxx = firstWord(env.CXX) || 'g++';
  const tools = [
    {
      command: python || 'python3',
      debian: 'python3',
      found: python ? isCommand(python) : isCommand('python3') || isCommand('python'),
    },
    { command: make, debian: 'make', found: isCommand(make) },
    { command: cc, debian: 'gcc', found: isCommand(cc) },
    { command: cxx, debian: 'g++', found: isCommand(cxx) },
  ];
  return tools.filter((t) => !t.found);
}

/** node-gyp as npm's scripts run it (npm_config_node_gyp), else one installed beside Rozen, else through npx. */
function nodeGyp() {
  const script = process.env.npm_config_node_gyp || localNodeGyp();
  return script ? [process.execPath, [script]] : ['npx', ['--yes', 'node-gyp']];
}

function localNodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  } catch {
    return undefined;
  }
}

function firstWord(value) {
  return value?.trim().split(/\s+/)[0];
}

function isCommand(command) {
  if (command.includes('/')) return isExecutable(command);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, command)));
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
