import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './environment';
import { LOCAL_DIR } from './paths';
import { commandExists, LauncherError, run, step } from './process';

export interface VenvSpec {
  /** The folder under .local/venv/. */
  name: string;
  /** A pinned requirements file, relative to the repository root (e.g. infra/python/cfn-lint.txt). */
  requirements: string;
  /** The interpreter to build it with, e.g. `python3` or `python3.13`. */
  python: string;
}

/**
 * Where an interpreter of the given name is: `PYTHON_<MAJOR><MINOR>` from the environment (CI sets it
 * from actions/setup-python), then PATH, then pyenv's versions folder (this machine image has 3.13 there).
 */
export function findPython(python: string): string {
  const version = /^python(\d)\.(\d+)$/.exec(python);
  const fromEnv = version ? process.env[`PYTHON_${version[1]}${version[2]}`] : undefined;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  // A pyenv shim is on PATH for every version it knows, but runs only the selected one: check it runs.
  if (commandExists(python) && spawnSync(python, ['--version'], { stdio: 'ignore' }).status === 0) return python;
  if (version) {
    const pyenvRoot = process.env.PYENV_ROOT ?? join(process.env.HOME ?? '/root', '.pyenv');
    for (const candidate of [`${version[1]}.${version[2]}.0`, `${version[1]}.${version[2]}`]) {
      const path = join(pyenvRoot, 'versions', candidate, 'bin', python);
      if (existsSync(path)) return path;
    }
  }
  const variable = version ? `PYTHON_${version[1]}${version[2]}` : 'PATH';
  throw new LauncherError(`${python} not found: install it, or point ${variable} at it`);
}

/**
 * A Python virtual environment under .local/venv/NAME with exactly the pinned requirements, created or
 * updated only when the requirements file changed (a stamp holds its hash): seconds when present.
 * Returns the venv's bin folder.
 */
export function ensureVenv({ name, requirements, python }: VenvSpec): string {
  const dir = join(LOCAL_DIR, 'venv', name);
  const bin = join(dir, 'bin');
  const wanted = createHash('sha256').update(readFileSync(join(ROOT, requirements))).digest('hex');
  const stamp = join(dir, '.requirements.sha256');
  if (existsSync(join(bin, 'python')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return bin;
  step(`installing ${name} into ${dir} (pinned in ${requirements})`);
  if (!existsSync(join(bin, 'python'))) run(findPython(python), ['-m', 'venv', dir]);
  run(join(bin, 'python'), ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', join(ROOT, requirements)]);
  writeFileSync(stamp, wanted);
  return bin;
}
