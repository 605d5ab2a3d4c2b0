// Compares the SPA's hand-written API types (src/api/types.ts) with the server's OpenAPI document:
// for each endpoint the SPA calls, the operation must exist, and the fields the SPA reads from a
// response or sends in a request must be in the server's schema. Used by check-openapi.mjs.
import ts from 'typescript'

/** The endpoints the SPA calls, with the types it sends and expects (`T[]`: items of a page). */
export const ENDPOINTS = [
  { method: 'post', path: '/api/auth/register', request: 'RegisterRequest', response: 'UserSummary' },
  { method: 'post', path: '/api/auth/login', request: 'LoginRequest', response: 'TokenResponse' },
  { method: 'post', path: '/api/auth/refresh', response: 'TokenResponse' },
  { method: 'post', path: '/api/auth/logout' },
  { method: 'get', path: '/api/auth/me', response: 'Me' },
  { method: 'post', path: '/api/auth/password', request: 'ChangePasswordRequest' },
  { method: 'post', path: '/api/auth/totp/enroll', response: 'TotpEnrollment' },
  { method: 'post', path: '/api/auth/totp/confirm', response: 'TotpConfirmResponse' },
  { method: 'post', path: '/api/auth/totp/disable', request: 'TotpDisableRequest' },
  {
    method: 'get',
    path: '/api/documents',
    response: 'DocumentDto[]',
    query: { folder_id: ['root'], q: null, status: null, sort: ['filename', '-filename', 'created_at', '-created_at', 'size_bytes', '-size_bytes'], limit: null, cursor: null },
  },
  { method: 'post', path: '/api/documents/upload-url', request: 'UploadUrlRequest', response: 'UploadUrlResponse' },
  { method: 'post', path: '/api/documents/{}/confirm', response: 'DocumentDto' },
  { method: 'get', path: '/api/documents/{}', response: 'DocumentDto' },
  { method: 'patch', path: '/api/documents/{}', request: 'UpdateDocumentRequest' },
  { method: 'delete', path: '/api/documents/{}' },
  { method: 'post', path: '/api/documents/{}/restore' },
  { method: 'get', path: '/api/documents/{}/download' },
  { method: 'get', path: '/api/trash', response: 'DocumentDto[]', query: { limit: null, cursor: null } },
  { method: 'delete', path: '/api/trash/{}' },
  { method: 'get', path: '/api/folders', response: 'Folder[]' },
  { method: 'post', path: '/api/folders', request: 'CreateFolderRequest', response: 'Folder' },
  { method: 'patch', path: '/api/folders/{}', request: 'UpdateFolderRequest' },
  { method: 'delete', path: '/api/folders/{}' },
  { method: 'get', path: '/api/documents/{}/shares', response: 'Share[]' },
  { method: 'post', path: '/api/documents/{}/shares', request: 'CreateShareRequest', response: 'Share' },
  { method: 'delete', path: '/api/documents/{}/shares/{}' },
  { method: 'get', path: '/api/shared-with-me', response: 'SharedDocument[]', query: { limit: null, cursor: null } },
  { method: 'get', path: '/api/quota', response: 'Quota' },
  { method: 'get', path: '/api/admin/users', response: 'AdminUser[]', query: { q: null, limit: null, cursor: null } },
  { method: 'patch', path: '/api/admin/users/{}', request: 'UpdateUserRequest' },
  { method: 'put', path: '/api/admin/users/{}/quota', request: 'SetQuotaRequest' },
  { method: 'get', path: '/api/admin/projections', response: 'ProjectionStatus[]' },
  { method: 'post', path: '/api/admin/projections/{}/rebuild', response: 'ProjectionStatus' },
  { method: 'post', path: '/api/admin/projections/{}/resume', response: 'ProjectionStatus' },
  { method: 'post', path: '/api/admin/users/{}/erase', request: 'EraseRequest', response: 'EraseResult' },
  { method: 'get', path: '/api/admin/settings/classifier', response: 'SystemClassifier' },
  { method: 'put', path: '/api/admin/settings/classifier', request: 'SystemClassifierRequest', response: 'SystemClassifier' },
  {
    method: 'get',
    path: '/api/audit/events',
    response: 'AuditEntry[]',
    query: { actor: null, subject_user: null, document_id: null, type: null, from: null, to: null, limit: null, cursor: null, order: ['newest', 'oldest'] },
  },
  {
    method: 'get',
    path: '/api/audit/export',
    query: { actor: null, subject_user: null, document_id: null, type: null, from: null, to: null, format: ['jsonl', 'csv'] },
  },
  { method: 'get', path: '/api/audit/as-of', response: 'AsOfAnswer', query: { at: null, document_id: null, user_id: null } },
  { method: 'get', path: '/api/topics', response: 'Topic[]' },
  { method: 'post', path: '/api/topics', request: 'CreateTopicRequest', response: 'Topic' },
  { method: 'patch', path: '/api/topics/{}', request: 'UpdateTopicRequest', response: 'Topic' },
  { method: 'delete', path: '/api/topics/{}' },
  { method: 'get', path: '/api/documents/{}/topics', response: 'DocumentTopics' },
  { method: 'put', path: '/api/documents/{}/topics', request: 'SetTopicsRequest', response: 'DocumentTopics' },
  { method: 'post', path: '/api/documents/{}/reclassify', response: 'DocumentTopics' },
  {
    method: 'get',
    path: '/api/search',
    response: 'SearchHit[]',
    query: { q: null, folder_id: null, topic: null, from: null, to: null, limit: null, cursor: null },
  },
]

/** Interfaces of a TypeScript source: name → fields (with `extends` flattened). */
export function readInterfaces(source) {
  const file = ts.createSourceFile('types.ts', source, ts.ScriptTarget.Latest, true)
  const raw = new Map()
  file.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return
    const fields = new Map()
    for (const m of node.members) {
      if (!ts.isPropertySignature(m) || !m.name || !ts.isIdentifier(m.name)) continue
      fields.set(m.name.text, { optional: !!m.questionToken })
    }
    const parents = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(file)))
    raw.set(node.name.text, { fields, parents })
  })
  const flatten = (name, seen = new Set()) => {
    const entry = raw.get(name)
    if (!entry || seen.has(name)) return new Map()
    seen.add(name)
    const out = new Map()
    for (const p of entry.parents) for (const [k, v] of flatten(p, seen)) out.set(k, v)
    for (const [k, v] of entry.fields) out.set(k, v)
    return out
  }
  return new Map([...raw.keys()].map((n) => [n, flatten(n)]))
}

const normalizePath = (p) => p.replace(/\{[^}]*\}/g, '{}')

function resolve(doc, schema, depth = 0) {
  if (!schema || depth > 20) return schema ?? {}
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()
    return resolve(doc, doc.components?.schemas?.[name], depth + 1)
  }
  // utoipa renders Option<T> as oneOf [null, T] and flattening as allOf.
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    if (Array.isArray(schema[key])) {
      const parts = schema[key].map((s) => resolve(doc, s, depth + 1)).filter((s) => s.type !== 'null')
      if (key === 'allOf') {
        return { type: 'object', properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})) }
      }
      if (parts.length === 1) return parts[0]
    }
  }
  return schema
}

function jsonSchemaOf(doc, container) {
  const content = container?.content ?? {}
  const media = content['application/json'] ?? Object.values(content)[0]
  return media?.schema ? resolve(doc, media.schema) : null
}

/** Returns `{errors, warnings}`: errors for missing operations and fields the SPA relies on. */
export function compare(doc, interfaces, endpoints = ENDPOINTS) {
  const errors = []
  const warnings = []
  const ops = new Map()
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) ops.set(`${method} ${normalizePath(path)}`, op)
  }
  for (const e of endpoints) {
    const label = `${e.method.toUpperCase()} ${e.path}`
    const op = ops.get(`${e.method} ${e.path}`)
    if (!op) {
      errors.push(`${label}: not in the OpenAPI document`)
      continue
    }
    if (e.query) {
      const params = new Map(
        (op.parameters ?? []).map((p) => resolve(doc, p)).filter((p) => p.in === 'query').map((p) => [p.name, resolve(doc, p.schema)]),
      )
      for (const [name, values] of Object.entries(e.query)) {
        const schema = params.get(name)
        if (!schema) {
          errors.push(`${label}: the SPA sends the query parameter \`${name}\`, the server does not declare it`)
          continue
        }
        // An enum (e.g. the sort keys) must accept every value the SPA sends.
        const allowed = schema.enum ?? schema.items?.enum
        for (const v of values ?? []) {
          if (allowed && !allowed.includes(v)) errors.push(`${label}: \`${name}=${v}\` is not among the server's values (${allowed.join(', ')})`)
        }
      }
    }
    if (e.request) {
      const schema = jsonSchemaOf(doc, resolve(doc, op.requestBody))
      const expected = interfaces.get(e.request)
      if (!schema) warnings.push(`${label}: no JSON request body schema`)
      else if (expected) {
        const known = new Set(Object.keys(schema.properties ?? {}))
        for (const [field] of expected) {
          if (!known.has(field)) errors.push(`${label}: the SPA sends \`${field}\` (${e.request}), the server's schema has no such field`)
        }
      }
    }
    if (e.response) {
      const ok = Object.entries(op.responses ?? {}).find(([code]) => /^2\d\d$/.test(code))
      let schema = ok ? jsonSchemaOf(doc, resolve(doc, ok[1])) : null
      const list = e.response.endsWith('[]')
      const typeName = e.response.replace(/\[\]$/, '')
      if (schema && list) {
        schema = schema.type === 'array' ? resolve(doc, schema.items) : resolve(doc, schema.properties?.items?.items)
      }
      const expected = interfaces.get(typeName)
      if (!schema) {
        warnings.push(`${label}: no JSON response schema`)
        continue
      }
      if (!expected) continue
      const known = new Set(Object.keys(schema.properties ?? {}))
      const required = new Set(schema.required ?? [])
      for (const [field, { optional }] of expected) {
        if (!known.has(field)) {
          ;(optional ? warnings : errors).push(`${label}: the SPA reads \`${field}\` (${typeName}), the server's schema has no such field`)
        } else if (!optional && !required.has(field) && schema.required) {
          warnings.push(`${label}: \`${field}\` (${typeName}) is optional on the server but required in the SPA's type`)
        }
      }
      for (const field of known) {
        if (!expected.has(field)) warnings.push(`${label}: the server also sends \`${field}\`, unused by the SPA`)
      }
    }
  }
  return { errors, warnings }
}
