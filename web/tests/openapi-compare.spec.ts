// @vitest-environment node
// The OpenAPI comparison behind `npm run check-openapi`, on a small hand-made document.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compare, readInterfaces } from '../scripts/openapi-compare.mjs'

const types = readInterfaces(readFileSync(new URL('../src/api/types.ts', import.meta.url), 'utf8'))

const doc = {
  paths: {
    '/api/quota': {
      get: { responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/QuotaDto' } } } } } },
    },
    '/api/folders': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/FolderDto' } } } } } } },
        },
      },
      post: {
        requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { name: {} } } } } },
        responses: { '201': { content: { 'application/json': { schema: { $ref: '#/components/schemas/FolderDto' } } } } },
      },
    },
  },
  components: {
    schemas: {
      QuotaDto: { type: 'object', required: ['limit_bytes', 'used_bytes'], properties: { limit_bytes: {}, used_bytes: {}, reserved_bytes: {} } },
      FolderDto: { type: 'object', properties: { id: {}, name: {}, parent_id: { oneOf: [{ type: 'null' }, { type: 'string' }] }, path: {} } },
    },
  },
}

describe('openapi comparison', () => {
  it('reads interfaces with inherited fields', () => {
    expect([...types.get('Me')!.keys()]).toEqual(expect.arrayContaining(['id', 'handle', 'totp_enabled']))
    expect(types.get('SharedDocument')!.has('permission')).toBe(true)
    expect(types.get('DocumentDto')!.get('trashed_at')).toEqual({ optional: true })
  })

  it('checks query parameters and enum values', () => {
    const withParams = {
      paths: {
        '/api/documents': {
          get: {
            parameters: [
              { name: 'sort', in: 'query', schema: { type: 'string', enum: ['name', '-name'] } },
              { name: 'limit', in: 'query', schema: { type: 'integer' } },
            ],
            responses: {},
          },
        },
      },
    }
    const { errors } = compare(withParams, types, [{ method: 'get', path: '/api/documents', query: { sort: ['name', 'filename'], limit: null, q: null } }])
    expect(errors).toEqual([
      'GET /api/documents: `sort=filename` is not among the server\'s values (name, -name)',
      'GET /api/documents: the SPA sends the query parameter `q`, the server does not declare it',
    ])
  })

  it('flags missing operations and fields, and tolerates optional ones', () => {
    const { errors, warnings } = compare(doc, types, [
      { method: 'get', path: '/api/quota', response: 'Quota' },
      { method: 'get', path: '/api/folders', response: 'Folder[]' },
      { method: 'post', path: '/api/folders', request: 'CreateFolderRequest', response: 'Folder' },
      { method: 'get', path: '/api/trash', response: 'DocumentDto[]' },
    ])
    expect(errors).toEqual([
      'POST /api/folders: the SPA sends `parent_id` (CreateFolderRequest), the server\'s schema has no such field',
      'GET /api/trash: not in the OpenAPI document',
    ])
    expect(warnings).toContain('GET /api/quota: `reserved_bytes` (Quota) is optional on the server but required in the SPA\'s type')
    expect(warnings).toContain('GET /api/folders: the server also sends `path`, unused by the SPA')
  })
})
