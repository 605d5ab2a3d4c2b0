// The upload queue: presigned flow, progress, quota errors, cancel and concurrency.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { UploadTarget } from '@/api/types'

interface FakePut {
  target: UploadTarget
  file: Blob
  progress: (loaded: number, total: number) => void
  resolve: () => void
  reject: (e: unknown) => void
  aborted: boolean
}
const puts: FakePut[] = []

vi.mock('@/api/upload', () => ({
  putWithProgress: (target: UploadTarget, file: Blob, progress: (l: number, t: number) => void) => {
    let resolve!: () => void
    let reject!: (e: unknown) => void
    const done = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    const put: FakePut = { target, file, progress, resolve, reject, aborted: false }
    puts.push(put)
    return {
      done,
      abort: () => {
        put.aborted = true
        reject(new DOMException('Upload cancelled', 'AbortError'))
      },
    }
  },
}))

const { useUploadsStore, CONCURRENCY } = await import('@/stores/uploads')
const { useDocumentsStore } = await import('@/stores/documents')
const { useQuotaStore } = await import('@/stores/quota')
const { doc, fakeServer, json, problem } = await import('./fake-server')
const { freshStores } = await import('./setup')

const file = (name: string, size: number) => new File([new Uint8Array(size)], name, { type: 'application/pdf' })
const flush = () => new Promise((r) => setTimeout(r, 0))

function server() {
  let n = 0
  return fakeServer({
    'POST /api/documents/upload-url': (req) => {
      const body = req.body as { filename: string; size: number }
      if (body.filename === 'huge.pdf') {
        return problem(413, 'quota_exceeded', 'Quota exceeded', { limit_bytes: 1024 * 1024, used_bytes: 1024 * 1024 - 512 })
      }
      n += 1
      return json({ document_id: `d${n}`, upload: { method: 'PUT', url: `/blob/d${n}`, headers: { 'content-type': 'application/pdf' } }, expires_at: '' }, 201)
    },
    'POST /api/documents/d1/confirm': () => json(doc('d1', { filename: 'a.pdf' })),
    'POST /api/documents/d2/confirm': () => json(doc('d2', { filename: 'b.pdf' })),
    'GET /api/quota': () => json({ limit_bytes: 100, used_bytes: 10, reserved_bytes: 0 }),
  })
}

beforeEach(() => {
  freshStores()
  puts.length = 0
})

describe('uploads store', () => {
  it('runs the presigned flow with progress, then lists the document and refreshes the quota', async () => {
    const s = server()
    const uploads = useUploadsStore()
    const docs = useDocumentsStore()
    uploads.add([file('a.pdf', 1000)], null)
    await flush()
    expect(s.callsTo('POST', '/api/documents/upload-url')[0]!.body).toEqual({
      filename: 'a.pdf',
      size: 1000,
      content_type: 'application/pdf',
    })
    expect(puts[0]!.target.url).toBe('/blob/d1')
    puts[0]!.progress(250, 1000)
    expect(uploads.items[0]!.status).toBe('uploading')
    expect(uploads.overall.percent).toBe(25)
    puts[0]!.resolve()
    await flush()
    await flush()
    expect(uploads.items[0]!.status).toBe('done')
    expect(uploads.busy).toBe(false)
    expect(docs.items.map((d) => d.id)).toEqual(['d1'])
    expect(s.callsTo('POST', '/api/documents/d1/confirm')).toHaveLength(1)
    expect(useQuotaStore().quota?.used_bytes).toBe(10)
  })

  it('explains a quota refusal in words and uploads nothing', async () => {
    server()
    const uploads = useUploadsStore()
    uploads.add([file('huge.pdf', 5000)], null)
    await flush()
    await flush()
    const item = uploads.items[0]!
    expect(item.status).toBe('error')
    expect(item.error).toBe('Not enough storage: 512 B free of 1 MB. “huge.pdf” was not uploaded.')
    expect(puts).toHaveLength(0)
  })

  it('cancels an upload in flight and never confirms it', async () => {
    const s = server()
    const uploads = useUploadsStore()
    uploads.add([file('a.pdf', 1000)], null)
    await flush()
    uploads.cancel(uploads.items[0]!.id)
    await flush()
    expect(puts[0]!.aborted).toBe(true)
    expect(uploads.items[0]!.status).toBe('cancelled')
    expect(s.callsTo('POST', '/api/documents/d1/confirm')).toHaveLength(0)
    uploads.clearFinished()
    expect(uploads.items).toHaveLength(0)
  })

  it(`runs at most ${CONCURRENCY} transfers at a time`, async () => {
    server()
    const uploads = useUploadsStore()
    uploads.add(Array.from({ length: CONCURRENCY + 2 }, (_, i) => file(`f${i}.pdf`, 10)), 'folder-1')
    await flush()
    await flush()
    expect(puts).toHaveLength(CONCURRENCY)
    expect(uploads.items.filter((i) => i.status === 'queued')).toHaveLength(2)
  })
})
