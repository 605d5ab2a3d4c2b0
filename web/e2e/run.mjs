// End-to-end test of the SPA in Debian's Chromium against a running DocuVault (issue 5's flow):
// register two users; sign in; enable TOTP and sign in again with a code; create folders; upload
// three files with visible progress; rename, move (drag and drop), trash, restore; share with the
// second user, who downloads the same bytes; the quota meter changes; an admin lowers a quota and
// an upload over it is refused with a clear message.
//
//   DOCUVAULT_E2E_URL=http://127.0.0.1:8080 DOCUVAULT_E2E_ADMIN_EMAIL=… DOCUVAULT_E2E_ADMIN_PASSWORD=… npm run e2e
//   DOCUVAULT_BIN=target/debug/docuvault npm run e2e   (starts `docuvault dev` on a free port itself)
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { freePort, launchDocuvault } from './launch.mjs'
import { startWebDav, WEBDAV_PASSWORD, WEBDAV_USER } from './webdav.mjs'
import { totp } from './totp.mjs'

const SHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url))
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const TIMEOUT = 15_000

let baseUrl = process.env.DOCUVAULT_E2E_URL
let adminEmail = process.env.DOCUVAULT_E2E_ADMIN_EMAIL
let adminPassword = process.env.DOCUVAULT_E2E_ADMIN_PASSWORD
let launched = null

if (!baseUrl && process.env.DOCUVAULT_BIN) {
  try {
    launched = await launchDocuvault(process.env.DOCUVAULT_BIN)
  } catch (e) {
    console.error(String(e?.message ?? e))
    console.log('0 passed, 1 failed')
    process.exit(1)
  }
  baseUrl = launched.url
  adminEmail = launched.admin.email
  adminPassword = launched.admin.password
}
if (!baseUrl || !adminEmail || !adminPassword) {
  console.error('Set DOCUVAULT_E2E_URL with DOCUVAULT_E2E_ADMIN_EMAIL and DOCUVAULT_E2E_ADMIN_PASSWORD, or DOCUVAULT_BIN.')
  process.exit(2)
}
baseUrl = baseUrl.replace(/\/$/, '')
// A real WebDAV server for the Storage steps, when this run started the server (which then
// allows loopback addresses for cloud storage).
const webdav = launched ? await startWebDav(await freePort()) : null

// ---- tiny test runner: ordered steps, each one counted; the first failure stops the flow ----
let passed = 0
let failed = 0
const pages = []

async function step(name, fn) {
  const started = Date.now()
  try {
    await fn()
    passed += 1
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`)
  } catch (e) {
    failed += 1
    console.log(`  ✗ ${name}\n    ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n    ')}`)
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: `${SHOTS}failure-${i}.png`, fullPage: true }).catch(() => {})
    }
    throw e
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message)
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex')
const suffix = randomBytes(3).toString('hex')
const password = (who) => `${who} keeps ${suffix} under the old oak tree`
const alice = { email: `alice_${suffix}@example.com`, handle: `alice_${suffix}`, password: password('alice') }
const bob = { email: `bob_${suffix}@example.com`, handle: `bob_${suffix}`, password: password('bob') }
const files = [
  { name: `annual-report-${suffix}.pdf`, mimeType: 'application/pdf', buffer: randomBytes(900 * 1024) },
  { name: `lease-agreement-${suffix}.pdf`, mimeType: 'application/pdf', buffer: randomBytes(1400 * 1024) },
  { name: `receipts-${suffix}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`receipts ${suffix}\n`.repeat(20000)) },
]

async function shot(page, name) {
  // Finished transitions: a drawer caught mid-slide says nothing about the layout.
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false, animations: 'disabled' })
}

async function newPage(browser, viewport = { width: 1360, height: 860 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, baseURL: baseUrl })
  const page = await context.newPage()
  page.setDefaultTimeout(TIMEOUT)
  page.on('pageerror', (e) => console.log(`    [page error] ${e.message}`))
  page.on('console', (m) => {
    // Refused requests (a 401 probe, a 413) are expected; anything else the page logs is shown.
    if (m.type() === 'warning' || (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))) {
      console.log(`    [console ${m.type()}] ${m.text().split('\n')[0]}`)
    }
  })
  pages.push(page)
  return page
}

async function register(page, user) {
  await page.goto('/register')
  await page.getByLabel('Email').fill(user.email)
  await page.getByLabel('Handle').fill(user.handle)
  await page.getByLabel('Password').fill(user.password)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL(/\/documents/)
  await page.getByTestId('current-handle').filter({ hasText: `@${user.handle}` }).waitFor()
}

async function signIn(page, user, secondFactor) {
  await page.goto('/signin')
  await page.getByLabel('Email').fill(user.email)
  await page.getByLabel('Password').fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  if (secondFactor) {
    await page.getByText('Two-step verification').waitFor()
    await secondFactor(page)
  }
  await page.waitForURL(/\/documents/)
  await page.getByTestId('current-handle').filter({ hasText: `@${user.handle}` }).waitFor({ state: 'attached' })
}

async function signOut(page) {
  await page.getByTestId('sign-out').click()
  await page.waitForURL(/\/signin/)
}

async function quotaText(page) {
  const el = page.getByTestId('quota-text')
  await el.waitFor()
  return (await el.textContent()).trim()
}

function row(page, filename) {
  return page.locator(`[data-testid="document-table"] tbody tr[data-filename="${filename}"]`)
}

function folder(page, name) {
  return page.locator(`[role="tree"] [role="treeitem"][data-folder-name="${name}"]`)
}

async function createFolder(page, name) {
  await page.getByTestId('new-folder').click()
  const dialog = page.getByRole('dialog', { name: 'New folder' })
  await dialog.getByLabel('Folder name').fill(name)
  await dialog.getByRole('button', { name: 'Create' }).click()
  await dialog.waitFor({ state: 'hidden' })
  await folder(page, name).waitFor()
}

async function rowAction(page, filename, label) {
  const r = row(page, filename)
  await r.hover()
  await r.getByRole('button', { name: label, exact: true }).click()
}

// ---- the flow ----
await mkdir(SHOTS, { recursive: true })
// Playwright's own signal handling would exit before the server is stopped: ours closes both.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
  headless: true,
  handleSIGINT: false,
  handleSIGTERM: false,
  handleSIGHUP: false,
})
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.log(`\n${signal}: closing the browser${launched ? ' and stopping docuvault dev' : ''}`)
    Promise.allSettled([browser.close(), launched?.stop(), webdav?.stop()]).finally(() => process.exit(130))
  })
}
console.log(`e2e against ${baseUrl}`)

let exitCode = 0
try {
  const a = await newPage(browser)
  const b = await newPage(browser)
  let totpSecret = ''
  let confirmedAt = 0
  let recoveryCodes = []
  let admin = null

  await step('register two users', async () => {
    await a.goto('/register')
    await shot(a, '01-register')
    await register(a, alice)
    await register(b, bob)
    await a.getByText('This folder is empty').waitFor()
    await shot(a, '02-documents-empty')
  })

  await step('sign out and sign in with a password', async () => {
    await signOut(a)
    await shot(a, '03-signin')
    await signIn(a, alice)
  })

  await step('a reload keeps the session (refresh cookie), with no token in web storage', async () => {
    await a.reload()
    await a.getByTestId('current-handle').filter({ hasText: `@${alice.handle}` }).waitFor({ state: 'attached' })
    check(/\/documents/.test(a.url()), `reload landed on ${a.url()}`)
    const stored = await a.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
    check(!/token/i.test(stored), `web storage holds a token: ${stored}`)
    const cookies = await a.context().cookies()
    check(cookies.every((c) => c.httpOnly), 'a cookie readable by scripts was set')
  })

  await step('enable TOTP: QR code, secret, confirm, ten recovery codes shown once', async () => {
    await a.getByRole('link', { name: 'Account' }).click()
    await a.getByTestId('totp-enable').click()
    await a.getByRole('img', { name: /QR code/ }).waitFor()
    totpSecret = await a.getByTestId('totp-secret').getAttribute('data-secret')
    check(/^[A-Z2-7]+=*$/.test(totpSecret), `secret is not base32: ${totpSecret}`)
    await shot(a, '04-totp-enroll')
    confirmedAt = Date.now()
    await a.getByLabel('Code from your app').fill(totp(totpSecret, confirmedAt))
    await a.getByRole('button', { name: 'Turn on' }).click()
    const codes = a.getByTestId('recovery-codes').locator('li')
    await codes.first().waitFor()
    recoveryCodes = (await codes.allTextContents()).map((c) => c.trim())
    check(recoveryCodes.length === 10, `expected 10 recovery codes, got ${recoveryCodes.length}`)
    await shot(a, '05-recovery-codes')
    await a.getByTestId('codes-saved').check()
    await a.getByTestId('codes-done').click()
    await a.getByText('Signing in asks for a code').waitFor()
  })

  await step('sign in again with a TOTP code', async () => {
    await signOut(a)
    await signIn(a, alice, async (page) => {
      await shot(page, '06-signin-totp')
      // The confirm step used this window's code, which can never be accepted again; the next
      // window's code is already valid (±1 step), so no waiting is needed.
      const step = Math.floor(confirmedAt / 30000)
      await page.getByLabel('Authentication code').fill(totp(totpSecret, (step + 1) * 30000))
      await page.getByRole('button', { name: 'Verify' }).click()
    })
  })

  let quotaBefore = ''
  await step('create folders', async () => {
    quotaBefore = await quotaText(a)
    await createFolder(a, 'Invoices')
    await createFolder(a, 'Contracts')
    await a.goto('/documents')
  })

  await step('upload three files with visible per-file and overall progress', async () => {
    // Throttle the upload link so progress is observable, as it is on a real network.
    const cdp = await a.context().newCDPSession(a)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1.5 * 1024 * 1024 })
    await a.getByTestId('file-input').setInputFiles(files.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer })))
    const panel = a.getByTestId('upload-panel')
    await panel.waitFor()
    // Progress must be visible somewhere between 0 and 100 at least once.
    let sawProgress = false
    const deadline = Date.now() + TIMEOUT
    while (!sawProgress && Date.now() < deadline) {
      const values = await panel.locator('[role="progressbar"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('aria-valuenow'))))
      sawProgress = values.some((v) => v > 0 && v < 100)
      if (sawProgress) await shot(a, '07-uploading')
      else await a.waitForTimeout(50)
    }
    check(sawProgress, 'never saw an upload between 0% and 100%')
    await panel.locator('[data-upload-status="done"]').nth(2).waitFor({ timeout: 60_000 })
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
    for (const f of files) await row(a, f.name).waitFor()
    await shot(a, '08-uploaded')
    await a.getByTestId('uploads-clear').click()
    await panel.waitFor({ state: 'detached' })
  })

  await step('the quota meter shows the new usage', async () => {
    await a.waitForFunction((before) => document.querySelector('[data-testid="quota-text"]')?.textContent?.trim() !== before, quotaBefore)
    const after = await quotaText(a)
    check(after !== quotaBefore, `quota text did not change (${after})`)
  })

  const renamed = `lease-signed-${suffix}.pdf`
  await step('rename a document', async () => {
    await rowAction(a, files[1].name, `Rename ${files[1].name}`)
    const dialog = a.getByRole('dialog', { name: 'Rename document' })
    await dialog.getByLabel('File name').fill(renamed)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await row(a, renamed).waitFor()
    check((await row(a, files[1].name).count()) === 0, 'old name still listed')
  })

  await step('open the details panel', async () => {
    await row(a, renamed).getByRole('button', { name: renamed, exact: true }).click()
    await a.getByTestId('details-panel').getByText('SHA-256').waitFor()
    await shot(a, '09-details')
    await a.getByRole('button', { name: 'Close details' }).click()
  })

  await step('move a document to a folder by drag and drop', async () => {
    await row(a, renamed).dragTo(folder(a, 'Contracts').locator('.line'))
    await row(a, renamed).waitFor({ state: 'detached' })
    await folder(a, 'Contracts').locator('.line').click()
    await row(a, renamed).waitFor()
    await a.goto('/documents')
  })

  await step('move a document with the keyboard-friendly move dialog', async () => {
    await rowAction(a, files[2].name, `Move ${files[2].name}`)
    const dialog = a.getByRole('dialog', { name: /^Move/ })
    await dialog.getByLabel('Invoices').check()
    await dialog.getByRole('button', { name: 'Move here' }).click()
    await row(a, files[2].name).waitFor({ state: 'detached' })
  })

  await step('move a folder into another by drag and drop', async () => {
    await folder(a, 'Invoices').locator('.line').dragTo(folder(a, 'Contracts').locator('.line'))
    await a.locator('[role="treeitem"][data-folder-name="Invoices"][aria-level="3"]').waitFor()
    await folder(a, 'Invoices').locator('.line').click()
    await row(a, files[2].name).waitFor()
    await a.getByRole('navigation', { name: 'Breadcrumb' }).getByText('Contracts').waitFor()
  })

  await step('operate the folder tree with the keyboard', async () => {
    await a.goto('/documents')
    // The tree is complete (folders loaded) before keys are pressed: a key on a half-built tree
    // lands on a node that has no children yet.
    await folder(a, 'Contracts').waitFor()
    await folder(a, 'My documents').focus()
    await a.keyboard.press('ArrowDown') // Contracts
    await a.keyboard.press('ArrowRight') // expand
    await folder(a, 'Invoices').waitFor()
    await a.keyboard.press('ArrowRight') // first child: Invoices
    await a.keyboard.press('Enter')
    await a.getByTestId('view-title').filter({ hasText: 'Invoices' }).waitFor()
    const focused = await a.evaluate(() => document.activeElement?.getAttribute('data-folder-name'))
    check(focused === 'Invoices', `focus is on ${focused}`)
  })

  await step('search every folder, select rows with the keyboard, move them together', async () => {
    await a.goto('/documents')
    await a.getByLabel('Search documents').fill(suffix)
    const rows = a.locator('[data-testid="document-table"] tbody tr')
    await a.waitForFunction(() => document.querySelectorAll('[data-testid="document-table"] tbody tr').length === 3)
    await rows.first().focus()
    await a.keyboard.press('Space')
    await a.keyboard.press('ArrowDown')
    await a.keyboard.press('Space')
    await a.getByText('2 selected').waitFor()
    const chosen = await a.locator('[data-testid="document-table"] tbody tr[aria-selected="true"]').evaluateAll((els) => els.map((e) => e.dataset.filename))
    check(chosen.length === 2, `expected two selected rows, got ${chosen.length}`)
    await shot(a, '10-multi-select')
    await a.getByTestId('bulk-move').click()
    const dialog = a.getByRole('dialog', { name: 'Move 2 documents' })
    await dialog.getByLabel('My documents (top level)').check()
    await dialog.getByRole('button', { name: 'Move here' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await a.getByLabel('Search documents').fill('')
    for (const name of chosen) await row(a, name).waitFor()
  })

  await step('trash a document and restore it', async () => {
    await rowAction(a, files[0].name, `Move ${files[0].name} to trash`)
    await row(a, files[0].name).waitFor({ state: 'detached' })
    await a.getByRole('link', { name: 'Trash' }).click()
    const trashed = a.locator(`[data-testid="trash-table"] tr[data-filename="${files[0].name}"]`)
    await trashed.waitFor()
    await shot(a, '11-trash')
    await trashed.getByRole('button', { name: `Restore ${files[0].name}` }).click()
    await trashed.waitFor({ state: 'detached' })
    await folder(a, 'My documents').locator('.line').click()
    await row(a, files[0].name).waitFor()
  })

  await step('share with the second user by @handle', async () => {
    await rowAction(a, files[0].name, `Share ${files[0].name}`)
    const dialog = a.getByRole('dialog', { name: /^Share/ })
    await dialog.getByLabel('Person').fill(`@${bob.handle}`)
    await dialog.getByLabel('Can').selectOption('download')
    await dialog.getByRole('button', { name: 'Share', exact: true }).click()
    await dialog.getByTestId('share-list').getByText(`@${bob.handle}`).waitFor()
    await shot(a, '12-share-dialog')
    await dialog.getByRole('button', { name: 'Close' }).click()
  })

  await step('the recipient sees it under "Shared with me" and downloads the same bytes', async () => {
    await b.getByRole('link', { name: 'Shared with me' }).click()
    const shared = b.locator(`[data-testid="shared-table"] tr[data-filename="${files[0].name}"]`)
    await shared.waitFor()
    await shot(b, '13-shared-with-me')
    const [download] = await Promise.all([
      b.waitForEvent('download'),
      shared.getByRole('button', { name: `Download ${files[0].name}` }).click(),
    ])
    const bytes = await readFile(await download.path())
    check(sha256(bytes) === sha256(files[0].buffer), 'downloaded bytes differ from the uploaded file')
    check(download.suggestedFilename() === files[0].name, `download named ${download.suggestedFilename()}`)
  })

  await step('an uploaded text file becomes ready and is found by a word of its content', async () => {
    const word = `zebrafish${suffix}`
    const note = { name: `field-notes-${suffix}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`Counted the ${word} in the north pond on Tuesday.\n`) }
    await a.goto('/documents')
    await row(a, files[0].name).waitFor()
    if (await a.getByTestId('uploads-clear').isVisible()) await a.getByTestId('uploads-clear').click()
    await a.getByTestId('file-input').setInputFiles([note])
    // Extraction and classification run in the server's worker; the badge follows without a reload.
    await row(a, note.name).getByText('Ready', { exact: true }).waitFor({ timeout: 60_000 })
    await a.getByLabel('Search documents').fill(word)
    const mark = row(a, note.name).getByTestId('snippet').locator('mark')
    await mark.first().waitFor()
    check((await mark.first().textContent()).toLowerCase().includes(word), `the snippet highlights ${await mark.first().textContent()}`)
    check((await a.locator('[data-testid="document-table"] tbody tr').count()) === 1, 'the content search found other documents too')
    await shot(a, '13b-content-search')
    await a.getByLabel('Search documents').fill('')
    await row(a, files[0].name).waitFor()
  })

  if (webdav) {
    await step('connect a real WebDAV account on the Storage page, make it the default, disconnect it', async () => {
      await a.getByRole('link', { name: 'Storage' }).click()
      await a.getByTestId('view-title').filter({ hasText: 'Storage' }).waitFor()
      const form = a.getByTestId('connect-form')
      await form.getByLabel('Name', { exact: true }).fill('Home NAS')
      await form.getByLabel('Folder URL').fill(webdav.url)
      await form.getByLabel('Username').fill(WEBDAV_USER)
      await form.getByLabel('Password').fill('not the password')
      await form.getByRole('button', { name: 'Connect' }).click()
      const refused = a.getByTestId('connect-error')
      await refused.waitFor()
      check((await refused.textContent()).includes('username or password'), `wrong password: ${await refused.textContent()}`)
      await form.getByLabel('Password').fill(WEBDAV_PASSWORD)
      await form.getByRole('button', { name: 'Connect' }).click()
      const backend = a.locator('[data-backend="Home NAS"]')
      await backend.waitFor()
      check((await backend.locator('[data-status]').getAttribute('data-status')) === 'ok', 'the account reads as connected')
      check((await a.content()).indexOf(WEBDAV_PASSWORD) === -1, 'the password is on the page')
      await backend.getByRole('button', { name: 'Make Home NAS the default' }).click()
      await backend.getByTestId('default-badge').waitFor()
      await shot(a, '13c-storage-connected')
      await backend.getByRole('button', { name: 'Disconnect Home NAS' }).click()
      await a.getByRole('dialog', { name: 'Disconnect this account?' }).getByRole('button', { name: 'Disconnect' }).click()
      await backend.waitFor({ state: 'detached' })
      await a.getByText('No cloud account connected').waitFor()
    })
  }

  await step('an admin lowers the quota and an upload over it is refused clearly', async () => {
    admin = await newPage(browser)
    await signIn(admin, { ...alice, email: adminEmail, password: adminPassword, handle: '' })
    await admin.getByRole('link', { name: 'Users' }).click()
    await admin.getByLabel('Search users').fill(alice.handle)
    const user = admin.locator(`[data-testid="users-table"] tr[data-handle="${alice.handle}"]`)
    await user.waitFor()
    await user.getByTestId('edit-quota').click()
    const dialog = admin.getByRole('dialog', { name: /Storage quota/ })
    await dialog.getByLabel(/Quota/).fill('3 MB')
    await dialog.getByRole('button', { name: 'Set quota' }).click()
    await user.getByText('of 3 MB').waitFor()
    // Everyone, as the server lists them (with each one's storage), for the screenshot.
    await admin.getByLabel('Search users').fill('')
    await admin.waitForFunction(() => document.querySelectorAll('[data-testid="users-table"] tbody tr').length >= 3)
    await user.getByText('of 3 MB').waitFor()
    await shot(admin, '14-admin-users')

    await a.goto('/documents')
    if (await a.getByTestId('uploads-clear').isVisible()) await a.getByTestId('uploads-clear').click()
    const big = { name: `too-big-${suffix}.bin`, mimeType: 'application/octet-stream', buffer: randomBytes(2 * 1024 * 1024) }
    await a.getByTestId('file-input').setInputFiles([big])
    const item = a.locator(`[data-upload-name="${big.name}"][data-upload-status="error"]`)
    await item.waitFor()
    const message = (await item.locator('.state').textContent()).trim()
    check(/not enough storage/i.test(message), `unclear quota message: ${message}`)
    await shot(a, '16-quota-refused')
  })

  await step('the admin sees the projections with state and lag, rebuilds one and sees it finish', async () => {
    await admin.getByRole('link', { name: 'Projections' }).click()
    await admin.getByTestId('view-title').filter({ hasText: 'Projections' }).waitFor()
    const users = admin.locator('[data-testid="projections-table"] tr[data-projection="users"]')
    await users.waitFor()
    const state = (await users.getByTestId('projection-state').textContent()).trim()
    check(['running', 'standby', 'rebuilding'].includes(state), `unexpected state of users: ${state}`)
    check(/\d+ events/.test(await users.textContent()), 'no lag shown for users')
    await shot(admin, '15-admin-projections')
    await users.getByRole('button', { name: 'Rebuild users' }).click()
    await admin.getByRole('dialog', { name: 'Rebuild users?' }).getByRole('button', { name: 'Start rebuild' }).click()
    // Progress while it runs (it may be too quick to see), then the outcome, polled by the screen.
    const detail = admin.locator('[data-testid="projections-table"] tr[data-projection-detail="users"]')
    await detail.getByTestId('rebuild-outcome').filter({ hasText: /Last rebuild finished/ }).waitFor({ timeout: 60_000 })
    await users.getByRole('button', { name: 'Rebuild users' }).and(admin.locator(':enabled')).waitFor()
  })

  await step('the admin opens the audit screen and sees the share event from earlier', async () => {
    await admin.getByRole('link', { name: 'Audit' }).click()
    await admin.getByTestId('view-title').filter({ hasText: 'Audit' }).waitFor()
    await admin.getByLabel('Event type').fill('DocumentShared')
    await admin.getByRole('button', { name: 'Apply filters' }).click()
    const shared = admin.locator('[data-testid="audit-table"] tr[data-event-type="DocumentShared"]').filter({ hasText: `@${bob.handle}` })
    await shared.first().waitFor()
    check(/Shared with @/.test(await shared.first().textContent()), 'the share event has no summary')
    // Who could open that document right after the share: the owner and the recipient.
    await shared.first().getByRole('button', { name: /Who could open the document/ }).click()
    await admin.getByTestId('as-of-answer').getByText(`@${bob.handle}`).waitFor()
    await shot(admin, '16b-admin-audit')
    // The CSV export carries the filtered log (the share event included).
    const [csv] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('export-csv').click()])
    const text = await readFile(await csv.path(), 'utf8')
    check(text.includes('DocumentShared') && text.includes(bob.handle), 'the CSV export lacks the share event')
  })

  await step('an ordinary user has no Audit entry and gets the 403 page on its URL', async () => {
    await a.goto('/documents')
    await row(a, files[0].name).waitFor()
    check((await a.getByRole('link', { name: 'Audit' }).count()) === 0, 'an ordinary user sees the Audit link')
    await a.goto('/audit')
    await a.getByTestId('forbidden').getByText(/403/).waitFor()
    check(new URL(a.url()).pathname === '/audit', `the 403 page moved to ${a.url()}`)
  })

  await step('sign in with a recovery code instead of a TOTP code', async () => {
    await signOut(a)
    await signIn(a, alice, async (page) => {
      await page.getByTestId('toggle-recovery').click()
      await page.getByLabel('Recovery code').fill(recoveryCodes[0])
      await page.getByRole('button', { name: 'Verify' }).click()
    })
  })

  await step('change the password: every session ends, the new password signs in', async () => {
    await b.getByRole('link', { name: 'Account' }).click()
    const form = b.getByTestId('password-form')
    const newPassword = `${bob.password} and the river`
    await form.getByLabel('Current password').fill(bob.password)
    await form.getByLabel('New password', { exact: true }).fill(newPassword)
    await form.getByLabel('Repeat new password').fill(newPassword)
    await form.getByRole('button', { name: 'Change password' }).click()
    await b.waitForURL(/\/signin/)
    await b.getByText('Password changed.').waitFor()
    bob.password = newPassword
    await signIn(b, bob)
  })

  await step('sign out everywhere: the other devices lose their session too', async () => {
    const otherDevice = await newPage(browser)
    await signIn(otherDevice, bob)
    await b.getByRole('link', { name: 'Account' }).click()
    await b.getByTestId('sign-out-everywhere').click()
    await b.getByRole('dialog', { name: 'Sign out everywhere?' }).getByRole('button', { name: 'Sign out everywhere' }).click()
    await b.waitForURL(/\/signin/)
    await b.getByText('You were signed out on every device.').waitFor()
    // A reload finds no session to restore from the refresh cookie.
    await b.goto('/documents')
    await b.waitForURL(/\/signin/)
    // The other browser's refresh cookie was revoked as well: its reload cannot restore a session.
    await otherDevice.goto('/documents')
    await otherDevice.waitForURL(/\/signin/)
  })

  if (launched) {
    await step("the server's log shows no password", async () => {
      const log = launched.log()
      for (const [what, secret] of [
        ['a user password', alice.password],
        ['a user password', bob.password],
        ['the WebDAV password', WEBDAV_PASSWORD],
        ['a wrong WebDAV password', 'not the password'],
      ]) {
        check(!log.includes(secret), `${what} is in the server's log`)
      }
      check(log.length > 0, 'the server wrote no log at all')
    })
  }

  await step('phone-width layout', async () => {
    const phone = await newPage(browser, { width: 390, height: 844 })
    await signIn(phone, alice, async (page) => {
      await page.getByTestId('toggle-recovery').click()
      await page.getByLabel('Recovery code').fill(recoveryCodes[1])
      await page.getByRole('button', { name: 'Verify' }).click()
    })
    await row(phone, files[0].name).waitFor()
    await shot(phone, '17-phone-documents')
    await phone.getByRole('button', { name: 'Menu' }).click()
    await phone.getByRole('link', { name: 'Trash' }).waitFor()
    await shot(phone, '18-phone-menu')
    await phone.getByRole('link', { name: 'Trash' }).click()
    await phone.getByTestId('view-title').filter({ hasText: 'Trash' }).waitFor()
    // Every other screen at phone width, for a look.
    for (const [link, title, name] of [
      ['Shared with me', 'Shared with me', '19-phone-shared'],
      ['Account', 'Account', '20-phone-account'],
    ]) {
      await phone.getByRole('button', { name: 'Menu' }).click()
      await phone.getByRole('link', { name: link }).click()
      await phone.getByTestId('view-title').filter({ hasText: title }).waitFor()
      await shot(phone, name)
    }
    await phone.goto('/documents')
    await rowAction(phone, files[0].name, `Share ${files[0].name}`)
    await phone.getByRole('dialog', { name: /^Share/ }).getByTestId('share-list').getByText(`@${bob.handle}`).waitFor()
    await shot(phone, '21-phone-share-dialog')

    const adminPhone = await newPage(browser, { width: 390, height: 844 })
    await signIn(adminPhone, { email: adminEmail, password: adminPassword, handle: '' })
    await adminPhone.goto('/admin/users')
    await adminPhone.locator('[data-testid="users-table"] tbody tr').first().waitFor()
    await shot(adminPhone, '22-phone-admin-users')
  })
} catch {
  exitCode = 1
} finally {
  await browser.close()
  await launched?.stop()
  await webdav?.stop()
}

console.log(`\nscreenshots: ${SHOTS}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(exitCode || (failed ? 1 : 0))
