// Sends a file's bytes to a presigned upload URL with XMLHttpRequest, the only browser API that
// reports upload progress. The URL carries its own signature, so no bearer token goes with it.
import { ApiError } from './errors'
import type { UploadTarget } from './types'

export interface UploadHandle {
  done: Promise<void>
  abort: () => void
}

export function putWithProgress(
  target: UploadTarget,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest()
  const done = new Promise<void>((resolve, reject) => {
    xhr.open(target.method || 'PUT', target.url)
    for (const [name, value] of Object.entries(target.headers ?? {})) {
      // The browser sets these itself and refuses to let scripts do it.
      if (/^(content-length|host)$/i.test(name)) continue
      xhr.setRequestHeader(name, value)
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total)
    }
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size)
        resolve()
        return
      }
      let problem: Record<string, unknown> = {}
      try {
        problem = JSON.parse(xhr.responseText) as Record<string, unknown>
      } catch {
        // S3 answers XML; the status is what matters.
      }
      reject(new ApiError(xhr.status, { code: 'upload_failed', detail: uploadFailure(xhr.status), ...problem }))
    }
    xhr.onerror = () => reject(ApiError.network(new Error('upload failed')))
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'))
    xhr.send(file)
  })
  return { done, abort: () => xhr.abort() }
}

function uploadFailure(status: number): string {
  if (status === 403) return 'The upload link expired or was refused. Please try again.'
  if (status === 413) return 'This file is larger than the server accepts.'
  return `The storage server refused the upload (${status}).`
}
