// DEV/TEST TOOLING ONLY — never part of the product. An in-memory imitation of the DocuVault
// HTTP contract (issues 3, 4, 7) that also serves the built SPA, so the screens and the
// end-to-end script can be exercised before (or without) the real backend:
//   node e2e/mock/server.mjs [port]   → prints the URL; admin: admin@example.com / admin password 123
import { createServer } from 'node:http'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { base32Encode, totp } from '../totp.mjs'

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))
const DEFAULT_QUOTA = 100 * 1024 * 1024
const ADMIN_EMAIL = process.env.DOCUVAULT_E2E_ADMIN_EMAIL ?? 'admin@example.com'
const ADMIN_PASSWORD = process.env.DOCUVAULT_E2E_ADMIN_PASSWORD ?? 'admin password 123'

const db = {
  position: 0,
  users: new Map(), // id → user
  access: new Map(), // token → user id
  refresh: new Map(), // token → user id
  folders: new Map(),
  docs: new Map(),
  blobs: new Map(),
  shares: new Map(),
}

const now = () => new Date().toISOString()
const bump = () => String(++db.position)

function addUser({ email, handle, password, role = 'user' }) {
  const user = {
    id: randomUUID(),
    email: email.toLowerCase(),
    handle,
    password,
    role,
    is_active: true,
    created_at: now(),
    totp: null,
    pendingSecret: null,
    usedSteps: new Set(),
    recovery: [],
    quota: DEFAULT_QUOTA,
  }
  db.users.set(user.id, user)
  return user
}
addUser({ email: ADMIN_EMAIL, handle: 'admin', password: ADMIN_PASSWORD, role: 'admin' })

const projections = [
  { name: 'users', version: 1, state: 'running', leader: 'mock-1', checkpoint: 0, lag_events: 0, lag_seconds: 0, last_error: null, rebuild: null },
  { name: 'documents', version: 2, state: 'running', leader: 'mock-1', checkpoint: 0, lag_events: 0, lag_seconds: 0, last_error: null, rebuild: null },
  { name: 'shares', version: 1, state: 'running', leader: 'mock-1', checkpoint: 0, lag_events: 0, lag_seconds: 0, last_error: null, rebuild: null },
  { name: 'quota', version: 1, state: 'running', leader: 'mock-1', checkpoint: 0, lag_events: 0, lag_seconds: 0, last_error: null, rebuild: null },
]

// ---- helpers ----
class Problem extends Error {
  constructor(status, code, detail, extra = {}) {
    super(detail)
    Object.assign(this, { status, code, detail, extra })
  }
}
const notFound = () => new Problem(404, 'not_found', 'No such resource.')

function send(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers })
  res.end(text)
}

async function readBody(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return Buffer.concat(chunks)
}

async function readJson(req) {
  const buf = await readBody(req)
  if (buf.length === 0) return {}
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    throw new Problem(400, 'invalid_json', 'The body is not valid JSON.')
  }
}

function cookies(req) {
  return Object.fromEntries((req.headers.cookie ?? '').split(/;\s*/).filter(Boolean).map((c) => c.split('=')))
}

function currentUser(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')
  const id = m && db.access.get(m[1])
  const user = id && db.users.get(id)
  if (!user || !user.is_active) throw new Problem(401, 'unauthorized', 'Sign in first.')
  return user
}

function admin(req) {
  const user = currentUser(req)
  if (user.role !== 'admin') throw new Problem(403, 'forbidden', 'You are not allowed to do this.')
  return user
}

function issueTokens(req, res, user) {
  const access = randomBytes(16).toString('hex')
  const refresh = randomBytes(16).toString('hex')
  db.access.set(access, user.id)
  db.refresh.set(refresh, user.id)
  const body = { access_token: access, token_type: 'Bearer', expires_in: 900 }
  if (req.headers['x-refresh-token-mode'] === 'cookie') {
    res.setHeader('set-cookie', `dv_refresh=${refresh}; HttpOnly; SameSite=Strict; Path=/api/auth; Max-Age=2592000`)
  } else {
    body.refresh_token = refresh
  }
  return body
}

const usage = (user) => {
  let used = 0
  for (const d of db.docs.values()) if (d.owner_id === user.id && d.status !== 'pending') used += d.size_bytes
  let reserved = 0
  for (const d of db.docs.values()) if (d.owner_id === user.id && d.status === 'pending') reserved += d.size_bytes
  return { limit_bytes: user.quota, used_bytes: used, reserved_bytes: reserved }
}

function docJson(d) {
  const owner = db.users.get(d.owner_id)
  const shared = [...db.shares.values()].filter((s) => s.document_id === d.id).length
  const { owner_id: _o, trashed: _t, ...rest } = d
  return { ...rest, status: d.trashed ? 'trashed' : d.status, owner: { id: owner.id, handle: owner.handle }, shared_with_count: shared }
}

function ownDoc(user, id) {
  const d = db.docs.get(id)
  if (!d || d.owner_id !== user.id) throw notFound()
  return d
}

function ownFolder(user, id) {
  const f = db.folders.get(id)
  if (!f || f.owner_id !== user.id) throw notFound()
  return f
}

function folderJson(f) {
  const { owner_id: _o, ...rest } = f
  return rest
}

function checkTotp(user, code) {
  if (!code) throw new Problem(401, 'totp_required', 'Enter the code from your authenticator app.')
  const recovery = user.recovery.indexOf(code)
  if (recovery >= 0) {
    user.recovery.splice(recovery, 1)
    return
  }
  const t = Date.now()
  for (const delta of [-1, 0, 1]) {
    const step = Math.floor(t / 30000) + delta
    if (totp(user.totp, step * 30000) === code && !user.usedSteps.has(step)) {
      user.usedSteps.add(step)
      return
    }
  }
  throw new Problem(401, 'totp_invalid', 'That code is not valid.')
}

function page(items, url) {
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 50), 200)
  const offset = Number(url.searchParams.get('cursor') ?? 0)
  const slice = items.slice(offset, offset + limit)
  return { items: slice, next_cursor: offset + limit < items.length ? String(offset + limit) : null }
}

function sortDocs(list, sort = '-created_at') {
  const desc = sort.startsWith('-')
  const key = sort.replace(/^-/, '')
  return list.sort((a, b) => {
    const x = a[key]
    const y = b[key]
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y))
    return desc ? -c : c
  })
}

// ---- routes ----
const routes = []
const route = (method, pattern, handler) => {
  const keys = []
  const re = new RegExp('^' + pattern.replace(/\{(\w+)\}/g, (_, k) => (keys.push(k), '([^/]+)')) + '$')
  routes.push({ method, re, keys, handler })
}

route('POST', '/api/auth/register', async (req, res) => {
  const { email = '', handle = '', password = '' } = await readJson(req)
  if (!/^[a-z0-9_]{3,32}$/.test(handle)) throw new Problem(422, 'invalid_handle', 'A handle has 3–32 characters of a–z, 0–9 and _.')
  if (password.length < 12) throw new Problem(422, 'password_too_short', 'Use at least 12 characters.')
  for (const u of db.users.values()) {
    if (u.email === email.toLowerCase() || u.handle === handle) throw new Problem(409, 'already_registered', 'That email or handle is taken.')
  }
  const user = addUser({ email, handle, password })
  send(res, 201, { id: user.id, email: user.email, handle: user.handle, role: user.role }, { 'x-consistency-token': bump() })
})

route('POST', '/api/auth/login', async (req, res) => {
  const { email = '', password = '', totp_code } = await readJson(req)
  const user = [...db.users.values()].find((u) => u.email === email.toLowerCase())
  if (!user || user.password !== password || !user.is_active) throw new Problem(401, 'invalid_credentials', 'Wrong email or password.')
  if (user.totp) checkTotp(user, totp_code)
  send(res, 200, issueTokens(req, res, user))
})

route('POST', '/api/auth/refresh', async (req, res) => {
  const body = await readJson(req)
  const token = body.refresh_token ?? cookies(req).dv_refresh
  const id = token && db.refresh.get(token)
  if (!id) throw new Problem(401, 'invalid_refresh_token', 'Sign in again.')
  db.refresh.delete(token)
  send(res, 200, issueTokens(req, res, db.users.get(id)))
})

route('POST', '/api/auth/logout', async (req, res) => {
  const body = await readJson(req)
  const token = body.refresh_token ?? cookies(req).dv_refresh
  const id = db.refresh.get(token)
  if (id) {
    for (const [t, u] of db.refresh) if (u === id && (body.all || t === token)) db.refresh.delete(t)
    if (body.all) for (const [t, u] of db.access) if (u === id) db.access.delete(t)
  }
  send(res, 204, undefined, { 'set-cookie': 'dv_refresh=; HttpOnly; SameSite=Strict; Path=/api/auth; Max-Age=0' })
})

route('GET', '/api/auth/me', async (req, res) => {
  const u = currentUser(req)
  send(res, 200, { id: u.id, email: u.email, handle: u.handle, role: u.role, totp_enabled: !!u.totp, created_at: u.created_at })
})

route('POST', '/api/auth/password', async (req, res) => {
  const u = currentUser(req)
  const { current_password, new_password = '' } = await readJson(req)
  if (current_password !== u.password) throw new Problem(401, 'invalid_credentials', 'Your current password is not right.')
  if (new_password.length < 12) throw new Problem(422, 'password_too_short', 'Use at least 12 characters.')
  u.password = new_password
  for (const [t, id] of db.refresh) if (id === u.id) db.refresh.delete(t)
  for (const [t, id] of db.access) if (id === u.id) db.access.delete(t)
  send(res, 204, undefined, { 'x-consistency-token': bump() })
})

route('POST', '/api/auth/totp/enroll', async (req, res) => {
  const u = currentUser(req)
  u.pendingSecret = base32Encode(randomBytes(20))
  const uri = `otpauth://totp/DocuVault:${encodeURIComponent(u.email)}?secret=${u.pendingSecret}&issuer=DocuVault`
  // A stand-in picture, not a scannable QR code: the mock has no QR encoder.
  const cells = createHash('sha256').update(u.pendingSecret).digest()
  let rects = ''
  for (let i = 0; i < 21 * 21; i++) if ((cells[i % 32] >> (i % 8)) & 1) rects += `<rect x="${i % 21}" y="${Math.floor(i / 21)}" width="1" height="1"/>`
  const qr_svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-2 -2 25 25" shape-rendering="crispEdges"><rect x="-2" y="-2" width="25" height="25" fill="#fff"/>${rects}</svg>`
  send(res, 200, { secret: u.pendingSecret, otpauth_uri: uri, qr_svg })
})

route('POST', '/api/auth/totp/confirm', async (req, res) => {
  const u = currentUser(req)
  const { code } = await readJson(req)
  if (!u.pendingSecret) throw new Problem(409, 'totp_not_enrolled', 'Start the set-up first.')
  const ok = [-1, 0, 1].some((d) => totp(u.pendingSecret, Date.now() + d * 30000) === code)
  if (!ok) throw new Problem(422, 'totp_invalid', 'That code is not valid.')
  u.totp = u.pendingSecret
  u.pendingSecret = null
  u.usedSteps.add(Math.floor(Date.now() / 30000))
  u.recovery = Array.from({ length: 10 }, () => randomBytes(5).toString('hex').replace(/(.{5})/, '$1-'))
  send(res, 200, { recovery_codes: [...u.recovery] }, { 'x-consistency-token': bump() })
})

route('POST', '/api/auth/totp/disable', async (req, res) => {
  const u = currentUser(req)
  const { password, code } = await readJson(req)
  if (password !== u.password) throw new Problem(401, 'invalid_credentials', 'Wrong password.')
  checkTotp(u, code)
  u.totp = null
  send(res, 204, undefined, { 'x-consistency-token': bump() })
})

route('GET', '/api/folders', async (req, res) => {
  const u = currentUser(req)
  send(res, 200, { items: [...db.folders.values()].filter((f) => f.owner_id === u.id).map(folderJson) })
})

function checkFolderName(u, name, parentId, exceptId) {
  if (!name || name.length > 255 || /[/\\]/.test(name)) throw new Problem(422, 'invalid_name', 'That folder name is not allowed.')
  for (const f of db.folders.values()) {
    if (f.owner_id === u.id && f.parent_id === parentId && f.id !== exceptId && f.name.toLowerCase() === name.toLowerCase()) {
      throw new Problem(409, 'folder_name_taken', 'A folder with this name already exists here.')
    }
  }
}

route('POST', '/api/folders', async (req, res) => {
  const u = currentUser(req)
  const { name = '', parent_id = null } = await readJson(req)
  if (parent_id) ownFolder(u, parent_id)
  checkFolderName(u, name, parent_id)
  const f = { id: randomUUID(), owner_id: u.id, name, parent_id, created_at: now(), updated_at: now() }
  db.folders.set(f.id, f)
  send(res, 201, folderJson(f), { 'x-consistency-token': bump() })
})

route('PATCH', '/api/folders/{id}', async (req, res, { id }) => {
  const u = currentUser(req)
  const f = ownFolder(u, id)
  const body = await readJson(req)
  if ('parent_id' in body) {
    let p = body.parent_id
    while (p) {
      if (p === f.id) throw new Problem(409, 'folder_cycle', 'A folder cannot be moved into itself.')
      p = ownFolder(u, p).parent_id
    }
    checkFolderName(u, body.name ?? f.name, body.parent_id, f.id)
    f.parent_id = body.parent_id
  }
  if (body.name) {
    checkFolderName(u, body.name, f.parent_id, f.id)
    f.name = body.name
  }
  f.updated_at = now()
  send(res, 200, folderJson(f), { 'x-consistency-token': bump() })
})

route('DELETE', '/api/folders/{id}', async (req, res, { id }, url) => {
  const u = currentUser(req)
  ownFolder(u, id)
  const subtree = new Set([id])
  let grew = true
  while (grew) {
    grew = false
    for (const f of db.folders.values()) {
      if (f.parent_id && subtree.has(f.parent_id) && !subtree.has(f.id)) {
        subtree.add(f.id)
        grew = true
      }
    }
  }
  const inside = [...db.docs.values()].filter((d) => subtree.has(d.folder_id) && !d.trashed)
  if ((inside.length || subtree.size > 1) && url.searchParams.get('recursive') !== 'true') {
    throw new Problem(409, 'folder_not_empty', 'The folder is not empty.')
  }
  for (const d of inside) Object.assign(d, { trashed: true, trashed_at: now(), folder_id: null })
  for (const fid of subtree) db.folders.delete(fid)
  send(res, 204, undefined, { 'x-consistency-token': bump() })
})

route('GET', '/api/documents', async (req, res, _p, url) => {
  const u = currentUser(req)
  const folder = url.searchParams.get('folder_id')
  const q = (url.searchParams.get('q') ?? '').toLowerCase()
  const status = url.searchParams.get('status')
  let list = [...db.docs.values()].filter((d) => d.owner_id === u.id && !d.trashed && d.status !== 'pending')
  if (folder) list = list.filter((d) => (folder === 'root' ? d.folder_id === null : d.folder_id === folder))
  if (q) list = list.filter((d) => d.filename.toLowerCase().includes(q))
  if (status) list = list.filter((d) => d.status === status)
  send(res, 200, page(sortDocs(list, url.searchParams.get('sort') ?? undefined).map(docJson), url))
})

route('POST', '/api/documents/upload-url', async (req, res) => {
  const u = currentUser(req)
  const { filename = '', size, content_type = 'application/octet-stream', folder_id = null } = await readJson(req)
  if (!filename || /[/\\]/.test(filename) || !Number.isInteger(size) || size < 0) throw new Problem(400, 'invalid_upload', 'Bad file name or size.')
  if (folder_id) ownFolder(u, folder_id)
  const q = usage(u)
  if (q.used_bytes + q.reserved_bytes + size > q.limit_bytes) {
    throw new Problem(413, 'quota_exceeded', 'This upload would exceed your storage quota.', { limit_bytes: q.limit_bytes, used_bytes: q.used_bytes })
  }
  const d = {
    id: randomUUID(),
    owner_id: u.id,
    filename,
    content_type,
    size_bytes: size,
    sha256: null,
    folder_id,
    status: 'pending',
    created_at: now(),
    updated_at: now(),
  }
  db.docs.set(d.id, d)
  send(
    res,
    201,
    { document_id: d.id, upload: { method: 'PUT', url: `/api/mock-blob/${d.id}?sig=${randomBytes(8).toString('hex')}`, headers: { 'content-type': content_type } }, expires_at: new Date(Date.now() + 900000).toISOString() },
    { 'x-consistency-token': bump() },
  )
})

route('PUT', '/api/mock-blob/{id}', async (req, res, { id }) => {
  const d = db.docs.get(id)
  if (!d || d.status !== 'pending') throw notFound()
  db.blobs.set(id, await readBody(req))
  send(res, 200, undefined)
})

route('GET', '/api/mock-blob/{id}', async (req, res, { id }) => {
  const blob = db.blobs.get(id)
  const d = db.docs.get(id)
  if (!blob || !d) throw notFound()
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': blob.length,
    'content-disposition': `attachment; filename="download"; filename*=UTF-8''${encodeURIComponent(d.filename)}`,
    'x-content-type-options': 'nosniff',
  })
  res.end(blob)
})

route('POST', '/api/documents/{id}/confirm', async (req, res, { id }) => {
  const u = currentUser(req)
  const d = ownDoc(u, id)
  const blob = db.blobs.get(id)
  if (!blob) throw new Problem(409, 'upload_missing', 'The bytes never arrived.')
  if (blob.length !== d.size_bytes) throw new Problem(422, 'size_mismatch', 'The size does not match.')
  // Let the e2e run see a processing state that turns ready a moment later.
  Object.assign(d, { status: 'processing', sha256: createHash('sha256').update(blob).digest('hex'), updated_at: now() })
  setTimeout(() => (d.status = 'ready'), 1500)
  send(res, 200, docJson(d), { 'x-consistency-token': bump() })
})

function visibleDoc(u, id) {
  const d = db.docs.get(id)
  if (d && d.owner_id === u.id) return { d, permission: 'owner' }
  const share = d && !d.trashed && [...db.shares.values()].find((s) => s.document_id === id && s.recipient_id === u.id)
  if (!share) throw notFound()
  return { d, permission: share.permission }
}

route('GET', '/api/documents/{id}', async (req, res, { id }) => {
  const u = currentUser(req)
  send(res, 200, docJson(visibleDoc(u, id).d))
})

route('PATCH', '/api/documents/{id}', async (req, res, { id }) => {
  const u = currentUser(req)
  const d = ownDoc(u, id)
  const body = await readJson(req)
  if (body.filename !== undefined) {
    if (!body.filename || /[/\\]/.test(body.filename)) throw new Problem(422, 'invalid_filename', 'That file name is not allowed.')
    d.filename = body.filename
  }
  if ('folder_id' in body) {
    if (body.folder_id) ownFolder(u, body.folder_id)
    d.folder_id = body.folder_id
  }
  d.updated_at = now()
  send(res, 200, docJson(d), { 'x-consistency-token': bump() })
})

route('DELETE', '/api/documents/{id}', async (req, res, { id }) => {
  const u = currentUser(req)
  Object.assign(ownDoc(u, id), { trashed: true, trashed_at: now() })
  send(res, 204, undefined, { 'x-consistency-token': bump() })
})

route('POST', '/api/documents/{id}/restore', async (req, res, { id }) => {
  const u = currentUser(req)
  const d = ownDoc(u, id)
  if (d.folder_id && !db.folders.has(d.folder_id)) d.folder_id = null
  Object.assign(d, { trashed: false, trashed_at: null })
  send(res, 200, docJson(d), { 'x-consistency-token': bump() })
})

route('GET', '/api/trash', async (req, res, _p, url) => {
  const u = currentUser(req)
  send(res, 200, page([...db.docs.values()].filter((d) => d.owner_id === u.id && d.trashed).map(docJson), url))
})

route('DELETE', '/api/trash/{id}', async (req, res, { id }) => {
  const u = currentUser(req)
  const d = ownDoc(u, id)
  if (!d.trashed) throw notFound()
  db.docs.delete(id)
  db.blobs.delete(id)
  for (const [sid, s] of db.shares) if (s.document_id === id) db.shares.delete(sid)
  send(res, 204, undefined, { 'x-consistency-token': bump() })
})

route('GET', '/api/documents/{id}/download', async (req, res, { id }) => {
  const u = currentUser(req)
  const { d, permission } = visibleDoc(u, id)
  if (permission === 'view') throw new Problem(403, 'forbidden', 'You may view this document but not download it.')
  res.writeHead(302, { location: `/api/mock-blob/${d.id}?sig=${randomBytes(8).toString('hex')}` })
  res.end()
})

route('GET', '/api/documents/{id}/shares', async (req, res, { id }) => {
  const u = currentUser(req)
  ownDoc(u, id)
  const items = [...db.shares.values()].filter((s) => s.document_id === id).map(shareJson)
  send(res, 200, { items, next_cursor: null })
})

function shareJson(s) {
  const r = db.users.get(s.recipient_id)
  return { id: s.id, document_id: s.document_id, recipient: { id: r.id, handle: r.handle }, permission: s.permission, created_at: s.created_at }
}

route('POST', '/api/documents/{id}/shares', async (req, res, { id }) => {
  const u = currentUser(req)
  const d = ownDoc(u, id)
  const { handle = '', permission } = await readJson(req)
  if (!['view', 'download'].includes(permission)) throw new Problem(422, 'invalid_permission', 'Choose view or download.')
  const r = [...db.users.values()].find((x) => x.handle === handle.toLowerCase())
  if (!r) throw new Problem(404, 'not_found', 'No user has that handle.')
  if (r.id === u.id) throw new Problem(422, 'cannot_share_with_self', 'You already own this document.')
  const existing = [...db.shares.values()].find((s) => s.document_id === d.id && s.recipient_id === r.id)
  const s = existing ?? { id: randomUUID(), document_id: d.id, recipient_id: r.id, created_at: now() }
  s.permission = permission
  db.shares.set(s.id, s)
  send(res, 201, shareJson(s), { 'x-consistency-token': bump() })
})

route('DELETE', '/api/documents/{id}/shares/{sid}', async (req, res, { id, sid }) => {
  const u = currentUser(req)
  ownDoc(u, id)
  if (!db.shares.delete(sid)) throw notFound()
  send(res, 204, undefined, { 'x-consistency-token': bump() })
})

route('GET', '/api/shared-with-me', async (req, res, _p, url) => {
  const u = currentUser(req)
  const items = [...db.shares.values()]
    .filter((s) => s.recipient_id === u.id)
    .map((s) => ({ s, d: db.docs.get(s.document_id) }))
    .filter(({ d }) => d && !d.trashed)
    .map(({ s, d }) => ({ ...docJson(d), shared_with_count: 0, permission: s.permission }))
  send(res, 200, page(items, url))
})

route('GET', '/api/quota', async (req, res) => send(res, 200, usage(currentUser(req))))

route('GET', '/api/admin/users', async (req, res, _p, url) => {
  admin(req)
  const q = (url.searchParams.get('q') ?? '').toLowerCase()
  const items = [...db.users.values()]
    .filter((u) => !q || u.handle.includes(q) || u.email.includes(q))
    .map((u) => ({ id: u.id, email: u.email, handle: u.handle, role: u.role, is_active: u.is_active, totp_enabled: !!u.totp, created_at: u.created_at, quota: usage(u) }))
  send(res, 200, page(items, url))
})

route('PATCH', '/api/admin/users/{id}', async (req, res, { id }) => {
  admin(req)
  const u = db.users.get(id)
  if (!u) throw notFound()
  const body = await readJson(req)
  if (body.role) u.role = body.role
  if (typeof body.is_active === 'boolean') u.is_active = body.is_active
  send(res, 200, { id: u.id, email: u.email, handle: u.handle, role: u.role, is_active: u.is_active, created_at: u.created_at, quota: usage(u) }, { 'x-consistency-token': bump() })
})

route('PUT', '/api/admin/users/{id}/quota', async (req, res, { id }) => {
  admin(req)
  const u = db.users.get(id)
  if (!u) throw notFound()
  const { limit_bytes } = await readJson(req)
  if (!Number.isInteger(limit_bytes) || limit_bytes < 0) throw new Problem(422, 'invalid_quota', 'Bad limit.')
  u.quota = limit_bytes
  send(res, 200, usage(u), { 'x-consistency-token': bump() })
})

route('GET', '/api/admin/projections', async (req, res) => {
  admin(req)
  for (const p of projections) {
    p.checkpoint = db.position
    if (p.rebuild) {
      p.rebuild.processed_events = Math.min(p.rebuild.total_events, p.rebuild.processed_events + Math.ceil(p.rebuild.total_events / 6))
      p.rebuild.eta_seconds = Math.ceil((p.rebuild.total_events - p.rebuild.processed_events) / p.rebuild.events_per_second)
      p.lag_events = p.rebuild.total_events - p.rebuild.processed_events
      if (p.rebuild.processed_events >= p.rebuild.total_events) Object.assign(p, { rebuild: null, state: 'running', lag_events: 0 })
    }
  }
  send(res, 200, projections)
})

route('POST', '/api/admin/projections/{name}/rebuild', async (req, res, { name }) => {
  admin(req)
  const p = projections.find((x) => x.name === name)
  if (!p) throw notFound()
  const total = Math.max(db.position, 600)
  Object.assign(p, { state: 'rebuilding', rebuild: { processed_events: 0, total_events: total, events_per_second: total / 6, eta_seconds: 6, started_at: now() } })
  send(res, 202, p)
})

route('GET', '/api/health', async (_req, res) => send(res, 200, { status: 'ok' }))

// ---- static SPA ----
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' }

async function serveStatic(req, res, url) {
  const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '')
  let file = join(DIST, path)
  try {
    if (!(await stat(file)).isFile()) throw new Error('dir')
  } catch {
    file = join(DIST, 'index.html')
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
  res.end(await readFile(file))
}

export function startMockServer(port = 0) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost')
    try {
      if (!url.pathname.startsWith('/api/')) return await serveStatic(req, res, url)
      for (const r of routes) {
        const m = r.method === req.method && r.re.exec(url.pathname)
        if (m) return await r.handler(req, res, Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])])), url)
      }
      throw notFound()
    } catch (e) {
      const p = e instanceof Problem ? e : new Problem(500, 'internal_error', 'Something went wrong on our side.')
      if (!(e instanceof Problem)) console.error(e)
      res.writeHead(p.status, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify({ type: `https://docuvault.dev/problems/${p.code}`, title: p.code, status: p.status, code: p.code, detail: p.detail, ...p.extra }))
    }
  })
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startMockServer(Number(process.argv[2] ?? 0))
  console.log(`mock DocuVault on http://127.0.0.1:${server.address().port}  (admin: ${ADMIN_EMAIL} / ${ADMIN_PASSWORD})`)
}
