// Turns failed responses (RFC 9457 problem+json with a stable `code`) into one error type whose
// `message` a person can read; the raw problem stays available for code-specific handling.
import type { ProblemDetails } from './types'
import { formatBytes } from '@/utils/format'

/** Messages we prefer over the server's `detail` for codes a user meets in normal use. */
const MESSAGES: Record<string, (p: ProblemDetails) => string> = {
  invalid_credentials: () => 'That email and password do not match an account.',
  totp_required: () => 'Enter the 6-digit code from your authenticator app.',
  totp_invalid: () => 'That code is not valid. Check your authenticator app and try again.',
  quota_exceeded: (p) => {
    const limit = num(p.limit_bytes)
    const used = num(p.used_bytes)
    if (limit === null || used === null) return 'Not enough storage left for this file.'
    const free = Math.max(0, limit - used)
    return `Not enough storage: ${formatBytes(free)} free of ${formatBytes(limit)}.`
  },
  too_large: (p) => {
    const limit = num(p.limit_bytes)
    return limit === null
      ? 'This file is larger than the server accepts.'
      : `This file is larger than the ${formatBytes(limit)} the server accepts.`
  },
  file_too_large: (p) => p.detail ?? 'This file is larger than the server accepts.',
  payload_too_large: (p) => p.detail ?? 'This file is larger than the server accepts.',
  not_found: () => 'It is no longer there. It may have been moved, deleted or unshared.',
  forbidden: () => 'You are not allowed to do that.',
  concurrent_modification: () => 'Someone changed this at the same time. Please try again.',
  session_expired: () => 'Your session has ended. Please sign in again.',
  too_many_requests: () => 'Too many attempts. Please wait a moment and try again.',
  network_error: () => 'Cannot reach DocuVault. Check your connection and try again.',
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string | undefined
  readonly problem: ProblemDetails
  /** Seconds from a `Retry-After` header, when the server sent one. */
  readonly retryAfter: number | null

  constructor(status: number, problem: ProblemDetails, retryAfter: number | null = null) {
    const code = problem.code ?? fallbackCode(status)
    super(readableMessage(status, code, problem, retryAfter))
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.detail = problem.detail
    this.problem = problem
    this.retryAfter = retryAfter
  }

  static network(cause: unknown): ApiError {
    const e = new ApiError(0, { code: 'network_error' })
    ;(e as { cause?: unknown }).cause = cause
    return e
  }
}

function fallbackCode(status: number): string {
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 413) return 'payload_too_large'
  if (status === 429) return 'too_many_requests'
  if (status >= 500) return 'internal_error'
  return 'http_' + status
}

function readableMessage(
  status: number,
  code: string,
  problem: ProblemDetails,
  retryAfter: number | null,
): string {
  if (code === 'too_many_requests' || status === 429) {
    return retryAfter
      ? `Too many attempts. Try again in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`
      : MESSAGES.too_many_requests!(problem)
  }
  const known = MESSAGES[code]
  if (known) return known(problem)
  if (problem.detail) return problem.detail
  if (status >= 500) return 'Something went wrong on our side. Please try again.'
  return problem.title ?? `Request failed (${status}).`
}

/** Reads a response body as a problem, tolerating non-JSON error pages from proxies. */
export async function problemFrom(res: Response): Promise<ApiError> {
  let problem: ProblemDetails = {}
  const type = res.headers.get('content-type') ?? ''
  if (type.includes('json')) {
    try {
      const body: unknown = await res.json()
      if (body && typeof body === 'object') problem = body as ProblemDetails
    } catch {
      // An unreadable body still yields an error named by its status.
    }
  }
  const ra = res.headers.get('retry-after')
  const retryAfter = ra !== null && /^\d+$/.test(ra.trim()) ? Number(ra.trim()) : null
  return new ApiError(res.status, problem, retryAfter)
}

/** The message to show for anything thrown by an API call. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof Error && e.name === 'AbortError') return 'Cancelled.'
  if (e instanceof Error) return e.message
  return 'Something went wrong.'
}
