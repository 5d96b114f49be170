import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandExists, detail, LauncherError, run, step } from './process';
import { ROOT } from './environment';
import { servicePaths } from './paths';

let aptUpdated = false;

/** Installs Debian packages whose command is missing; a no-op (milliseconds) when all are present. */
export function ensureDebianPackages(packages: Record<string, string>): void {
  const missing = Object.entries(packages).filter(([command]) => !commandExists(command));
  if (missing.length === 0) return;
  const names = missing.map(([, pkg]) => pkg);
  step(`installing Debian packages: ${names.join(', ')}`);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && !commandExists('sudo')) {
    throw new LauncherError(`missing ${names.join(', ')}: run as root, or install them: apt-get install -y ${names.join(' ')}`);
  }
  const asRoot = (args: string[]): [string, string[]] => (isRoot ? [args[0]!, args.slice(1)] : ['sudo', args]);
  if (!aptUpdated) {
    run(...asRoot(['apt-get', 'update', '-qq']));
    aptUpdated = true;
  }
  run(...asRoot(['sh', '-c', `DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${names.join(' ')}`]));
  for (const [command, pkg] of missing) {
    if (!commandExists(command)) throw new LauncherError(`${pkg} installed but ${command} is still not on PATH`);
  }
}

/**
 * The classpath of a JVM service, resolved by Maven from its pom under infra/local/jvm/ into the
 * local Maven repository. Cached in .local/<service>/classpath.txt; Maven runs again only when the pom
 * changed or a jar has gone (first run: downloads, a minute or two; later runs: milliseconds).
 */
export function ensureJvmClasspath(service: string): string {
  const pom = join(ROOT, 'infra', 'local', 'jvm', service, 'pom.xml');
  const cacheFile = join(servicePaths(service).dir, 'classpath.txt');
  const cached = existsSync(cacheFile) && statSync(cacheFile).mtimeMs >= statSync(pom).mtimeMs ? readFileSync(cacheFile, 'utf8').trim() : '';
  if (cached && cached.split(':').every((jar) => existsSync(jar))) return cached;
  if (!commandExists('mvn') || !commandExists('java')) {
    throw new LauncherError(`${service} needs Java 17+ and Maven on PATH (apt-get install -y openjdk-17-jre-headless maven)`);
  }
  step(`resolving ${service} from Maven Central (first run only)`);
  run('mvn', [
    '-q',
    '-B',
    '-f',
    pom,
    // Maven 3.8's default dependency plugin is too old for build-classpath's output file; name 3.x.
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath',
    `-Dmdep.outputFile=${cacheFile}.tmp`,
  ]);
  const classpath = readFileSync(`${cacheFile}.tmp`, 'utf8').trim();
  writeFileSync(cacheFile, classpath);
  detail(`${classpath.split(':').length} jars`);
  return classpath;
}

/** Where the browser tests find Chromium: `CHROMIUM_PATH` (CI points it at its own download), else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env) => env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * The headless browser of the docs page test: Debian's `chromium`, installed with apt like the other
 * packages (a no-op when present). A `CHROMIUM_PATH` that exists is used as is: GitHub's runners have
 * only a snap chromium, so CI brings its own (CLARIFICATIONS "CI on GitHub").
 */
export function ensureChromium(env: NodeJS.ProcessEnv = process.env): string {
  const path = chromiumPath(env);
  if (existsSync(path)) return path;
  if (env.CHROMIUM_PATH) throw new LauncherError(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist`);
  ensureDebianPackages({ chromium: 'chromium' });
  return path;
}
