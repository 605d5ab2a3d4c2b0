// A real WebDAV server for the end-to-end run: Apache with mod_dav/mod_dav_fs and Basic
// authentication on a free loopback port (as the Rust tests' harness, tests/src/webdav.rs), so
// the Storage page connects a real account. Needs Debian's apache2 (scripts/install-test-deps).
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const APACHE = '/usr/sbin/apache2'
const MODULES = '/usr/lib/apache2/modules'
export const WEBDAV_USER = 'e2e-webdav'
export const WEBDAV_PASSWORD = 'e2e-webdav-password-7c1e'

function listening(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => socket.end(() => resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

/** Starts the server; answers its collection URL, the directory it serves and `stop()`. */
export async function startWebDav(port) {
  if (!existsSync(APACHE)) throw new Error(`${APACHE} not found: run scripts/install-test-deps`)
  const dir = await mkdtemp(join(tmpdir(), 'docuvault-e2e-webdav-'))
  const root = join(dir, 'root')
  for (const d of [root, join(dir, 'lock'), join(dir, 'logs')]) await mkdir(d, { recursive: true })
  execFileSync('htpasswd', ['-bcB', join(dir, 'htpasswd'), WEBDAV_USER, WEBDAV_PASSWORD], { stdio: 'ignore' })
  const asRoot = process.getuid?.() === 0
  if (asRoot) execFileSync('chown', ['-R', 'www-data:www-data', dir])
  const modules = ['mpm_event', 'authn_core', 'authn_file', 'authz_core', 'authz_user', 'auth_basic', 'alias', 'dav', 'dav_fs']
    .map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`)
    .join('\n')
  const conf = `ServerRoot "${dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/logs/error.log
LogLevel warn
${modules}
${asRoot ? 'User www-data\nGroup www-data' : ''}
DavLockDB ${dir}/lock/DavLock
Alias /dav ${root}
<Directory ${root}>
  Dav On
  AuthType Basic
  AuthName "docuvault-e2e"
  AuthUserFile ${dir}/htpasswd
  Require valid-user
</Directory>
`
  await writeFile(join(dir, 'httpd.conf'), conf)
  const child = spawn(APACHE, ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: 'ignore' })
  const deadline = Date.now() + 20_000
  while (!(await listening(port))) {
    if (Date.now() > deadline) throw new Error(`apache2 did not start; see ${dir}/logs/error.log`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const stop = async () => {
    child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 500))
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
  return { url: `http://127.0.0.1:${port}/dav/`, root, stop }
}
