// Starts `docuvault dev` for the end-to-end run when no running server is given: a private data
// directory, a free loopback port, readiness polled on /api/health (bounded), and the first
// admin's credentials read from what `dev` prints on first start (or from the environment).
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const READY_TIMEOUT_MS = 120_000
/** The SPA under test: this package's build, wherever the binary is started from. */
const WEB_DIR = fileURLToPath(new URL('../dist/', import.meta.url))

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Finds the first admin's credentials in `docuvault dev`'s start-up banner, which prints
 * `Admin:    admin@docuvault.local / <password>` (api/src/run.rs; the generated password has no
 * spaces or slashes). Also accepts separate "email: …" / "password: …" lines.
 */
export function parseAdminCredentials(output) {
  const banner = /^\s*Admin:\s+(\S+@\S+)\s+\/\s+(\S+)\s*$/m.exec(output)
  if (banner) return { email: banner[1], password: banner[2] }
  const email = /\bemail\s*[:=]\s*(\S+@\S+)/i.exec(output)?.[1]
  const password = /\bpassword\s*[:=]\s*(.+)$/im.exec(output)?.[1]?.trim()
  return email && password ? { email: email.replace(/[,;]$/, ''), password } : null
}

export async function launchDocuvault(bin) {
  const dataDir = await mkdtemp(join(tmpdir(), 'docuvault-e2e-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let output = ''
  const child = spawn(bin, ['dev', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env: {
      ...process.env,
      DOCUVAULT_WEB_DIR: process.env.DOCUVAULT_WEB_DIR ?? WEB_DIR,
      // Info and up: what an operator keeps, and what the run checks for secrets.
      DOCUVAULT_LOG: process.env.DOCUVAULT_LOG ?? 'info',
      // The run's WebDAV server listens on loopback over plain http (webdav.mjs).
      DOCUVAULT_CLOUD_ALLOWED_HOSTS: process.env.DOCUVAULT_CLOUD_ALLOWED_HOSTS ?? '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  let exited = null
  child.on('exit', (code) => (exited = code ?? 'signal'))

  const deadline = Date.now() + READY_TIMEOUT_MS
  let ready = false
  while (!ready && exited === null && Date.now() < deadline) {
    try {
      ready = (await fetch(`${url}/api/health`)).ok
    } catch {
      // Not listening yet.
    }
    if (!ready) await new Promise((r) => setTimeout(r, 200))
  }
  // Once, however many paths (a failed step, a signal) ask for it.
  let stopping = null
  const stop = () => (stopping ??= stopAndClean())
  const stopAndClean = async () => {
    if (exited === null) {
      const done = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))])
      if (exited === null) child.kill('SIGKILL')
    }
    // The embedded PostgreSQL may still be removing its last files for a moment.
    await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch((e) =>
      console.error(`could not remove ${dataDir}: ${e.message}`),
    )
  }
  if (!ready) {
    await stop()
    throw new Error(`docuvault dev did not become ready (exit: ${exited ?? 'still running'}):\n${output.slice(-4000)}`)
  }
  // The banner is printed just before serving starts; its bytes may still be in the pipe.
  let admin =
    process.env.DOCUVAULT_E2E_ADMIN_EMAIL && process.env.DOCUVAULT_E2E_ADMIN_PASSWORD
      ? { email: process.env.DOCUVAULT_E2E_ADMIN_EMAIL, password: process.env.DOCUVAULT_E2E_ADMIN_PASSWORD }
      : parseAdminCredentials(output)
  for (let i = 0; !admin && i < 50; i += 1) {
    await new Promise((r) => setTimeout(r, 100))
    admin = parseAdminCredentials(output)
  }
  if (!admin) {
    await stop()
    throw new Error(`could not find the first admin's credentials in the output of docuvault dev:\n${output.slice(-4000)}`)
  }
  // Everything the server wrote so far (the run checks it never shows a secret).
  const log = () => output
  return { url, admin, stop, log }
}
