// The API's JSON shapes, written from the HTTP contracts (issues 3, 4, 7) and checked against
// `/api/openapi.json` by `npm run check-openapi` when a server is up. Keep names identical to the
// wire format: these objects are what the server sends, not view models.

export type Uuid = string
/** RFC 3339 UTC timestamp. */
export type Timestamp = string

export type Role = 'user' | 'admin' | 'auditor'

/** Every list endpoint is cursor-paginated. */
export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** RFC 9457 problem details, with our stable `code` and any extra members. */
export interface ProblemDetails {
  type?: string
  title?: string
  status?: number
  code?: string
  detail?: string
  [extra: string]: unknown
}

// ---- auth (issue 3) ----

export interface RegisterRequest {
  email: string
  handle: string
  password: string
}

export interface UserSummary {
  id: Uuid
  email: string
  handle: string
  role: Role
}

export interface LoginRequest {
  email: string
  password: string
  /** A TOTP code or, in its place, one of the recovery codes. */
  totp_code?: string
}

export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  /** Absent (or empty) in cookie mode, where the refresh token travels only in an HttpOnly cookie. */
  refresh_token?: string | null
}

export interface Me extends UserSummary {
  totp_enabled: boolean
  created_at: Timestamp
}

export interface ChangePasswordRequest {
  current_password: string
  new_password: string
}

export interface TotpEnrollment {
  secret: string
  otpauth_uri: string
  qr_svg: string
}

export interface TotpConfirmResponse {
  recovery_codes: string[]
}

export interface TotpDisableRequest {
  password: string
  code: string
}

// ---- documents, folders, shares, quota (issue 4) ----

export type DocumentStatus = 'pending' | 'uploaded' | 'processing' | 'ready' | 'error' | 'trashed'

export interface OwnerRef {
  id: Uuid
  handle: string
}

export interface DocumentDto {
  id: Uuid
  filename: string
  content_type: string
  size_bytes: number
  sha256: string | null
  folder_id: Uuid | null
  /** One of `DocumentStatus`; kept open so a new server-side status still renders. */
  status: DocumentStatus | (string & {})
  /** The document's topics (set by the classifier or by hand). */
  topic_ids?: Uuid[]
  /** Owner only: the owner's earlier document with the same bytes, if any. */
  duplicate_of?: Uuid | null
  owner: OwnerRef
  created_at: Timestamp
  updated_at: Timestamp
  shared_with_count: number
  /** Present on trash listings. */
  trashed_at?: Timestamp | null
}

export interface UploadUrlRequest {
  filename: string
  size: number
  content_type: string
  folder_id?: Uuid | null
  sha256?: string
}

export interface UploadTarget {
  method: 'PUT'
  url: string
  headers: Record<string, string>
}

export interface UploadUrlResponse {
  document_id: Uuid
  upload: UploadTarget
  expires_at: Timestamp
}

export interface UpdateDocumentRequest {
  filename?: string
  /** `null` moves the document to the top level. */
  folder_id?: Uuid | null
}

/** The sort keys of `GET /api/documents?sort=`; a leading `-` means descending. */
export type DocumentSort =
  | 'filename'
  | '-filename'
  | 'created_at'
  | '-created_at'
  | 'size_bytes'
  | '-size_bytes'

export interface DocumentQuery {
  /** A folder id, or `root` for the top level. */
  folder_id?: Uuid | 'root'
  /** Full-text search over filename, text and topics (ranked; then `sort` does not apply). */
  q?: string
  status?: string
  sort?: DocumentSort
  limit?: number
  cursor?: string | null
}

export interface Folder {
  id: Uuid
  name: string
  parent_id: Uuid | null
  created_at?: Timestamp
  updated_at?: Timestamp
}

export interface CreateFolderRequest {
  name: string
  parent_id?: Uuid | null
}

export interface UpdateFolderRequest {
  name?: string
  parent_id?: Uuid | null
}

export type SharePermission = 'view' | 'download'

export interface CreateShareRequest {
  handle: string
  permission: SharePermission
}

export interface Share {
  id: Uuid
  document_id?: Uuid
  recipient: OwnerRef
  permission: SharePermission
  created_at: Timestamp
}

export interface SharedDocument extends DocumentDto {
  permission: SharePermission
}

export interface Quota {
  limit_bytes: number
  used_bytes: number
  reserved_bytes: number
}

// ---- admin (issues 3, 4, 7) ----

export interface AdminUser extends UserSummary {
  is_active: boolean
  totp_enabled?: boolean
  created_at?: Timestamp
  /** Included when the server joins the quota read model into the listing. */
  quota?: Quota | null
}

export interface AdminUserQuery {
  q?: string
  limit?: number
  cursor?: string | null
}

export interface UpdateUserRequest {
  role?: Role
  is_active?: boolean
}

export interface SetQuotaRequest {
  limit_bytes: number
}

export type ProjectionState = 'running' | 'halted' | 'rebuilding' | 'standby'

/** Where a projection resumes: the read-order pair (transaction id, global position). */
export interface ProjectionCheckpoint {
  tx: number
  position: number
}

/** The process leading a projection. */
export interface ProjectionLeader {
  /** `host:pid:instance` of the process that claimed it last. */
  process: string
  /** Whether that process still holds the projection's lock. */
  alive: boolean
}

export type RebuildState = 'requested' | 'running' | 'swapping' | 'done' | 'failed'

/** The last (or current) blue/green rebuild of a projection. */
export interface RebuildProgress {
  state: RebuildState | (string & {})
  events_done: number
  /** The log's head when last sampled (it grows under live writes). */
  events_total: number
  events_per_second: number
  eta_seconds?: number | null
  error?: string | null
  requested_at: Timestamp
  started_at?: Timestamp | null
  finished_at?: Timestamp | null
}

export interface ProjectionStatus {
  name: string
  /** The handler version that built the live tables (0: never ran). */
  version: number
  state: ProjectionState | (string & {})
  leader?: ProjectionLeader | null
  checkpoint: ProjectionCheckpoint
  /** Events in the log after the checkpoint. */
  lag_events: number
  /** Age of the oldest event not applied yet; 0 when caught up. */
  lag_seconds: number
  events_per_second: number
  last_error?: string | null
  last_event_at?: Timestamp | null
  updated_at?: Timestamp | null
  rebuild?: RebuildProgress | null
}

export interface EraseRequest {
  /** Why (e.g. a ticket reference), 1–500 characters, recorded in plain text: no personal data. */
  reason: string
}

export interface EraseResult {
  user_id: Uuid
  /** Documents whose stored bytes were purged (0 on a repeated erasure). */
  blobs_purged: number
  erased_at: Timestamp
}

export type ClassifierProvider = 'builtin' | 'openai' | 'ollama'

/** The system default classifier (the key itself is never returned). */
export interface SystemClassifier {
  provider: ClassifierProvider | (string & {})
  base_url?: string | null
  model?: string | null
  timeout_secs: number
  api_key_set: boolean
}

export interface SystemClassifierRequest {
  provider: ClassifierProvider
  base_url?: string | null
  model?: string | null
  timeout_secs?: number | null
  /** Absent: keep the stored key. */
  api_key?: string | null
  remove_api_key?: boolean
}

// ---- audit (issue 7) ----

/** A user named in an audit entry: the id always, the handle when known. */
export interface UserRef {
  id: Uuid
  handle?: string | null
}

export interface AuditEntry {
  /** Global position in the log (the entry's identity). */
  position: number
  event_id: Uuid
  recorded_at: Timestamp
  type: string
  stream_id: string
  stream_version: number
  /** Absent for system actions. */
  actor?: UserRef | null
  subjects: UserRef[]
  document_id?: Uuid | null
  /** One human-readable sentence. */
  summary: string
  /** Personal values by JSON path, decrypted, or `[erased]`. */
  personal_data: Record<string, string>
  data: Record<string, unknown>
}

export type AuditOrder = 'newest' | 'oldest'

export interface AuditFilter {
  actor?: Uuid
  subject_user?: Uuid
  document_id?: Uuid
  /** An event type, or several separated by commas. */
  type?: string
  /** RFC 3339, inclusive. */
  from?: Timestamp
  /** RFC 3339, exclusive. */
  to?: Timestamp
}

export interface AuditQuery extends AuditFilter {
  limit?: number
  cursor?: string | null
  order?: AuditOrder
}

export type AuditExportFormat = 'jsonl' | 'csv'

export type AccessKind = 'owner' | 'view' | 'download'

export interface UserAccess {
  user: UserRef
  access: AccessKind
}

/** A document as it was at the instant. */
export interface DocumentAsOf {
  document_id: Uuid
  /** False when the document did not exist yet. */
  existed: boolean
  filename?: string | null
  folder_id?: Uuid | null
  owner?: UserRef | null
  status?: string | null
  /** Everyone who could open it, owner first. */
  access: UserAccess[]
}

export interface AccessibleDocument {
  document_id: Uuid
  filename: string
  folder_id?: Uuid | null
  owner: UserRef
  status: string
  access: AccessKind
}

export interface UserAsOf {
  user_id: Uuid
  documents: AccessibleDocument[]
}

export interface AsOfAnswer {
  at: Timestamp
  document?: DocumentAsOf | null
  user?: UserAsOf | null
}

export interface AsOfQuery {
  at?: Timestamp
  document_id?: Uuid
  user_id?: Uuid
}

// ---- topics, processing and search (issue 6) ----

export interface Topic {
  id: Uuid
  name: string
  /** Whole-word (or phrase) matches that assign the topic. */
  keywords: string[]
  /** A system default topic (admin-managed), visible to every user. */
  system: boolean
  /** The system topic this one replaces in its owner's view. */
  shadows?: Uuid | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface CreateTopicRequest {
  name: string
  keywords?: string[]
  shadows?: Uuid | null
  system?: boolean
}

export interface UpdateTopicRequest {
  name?: string
  keywords?: string[]
}

export interface SetTopicsRequest {
  topic_ids: Uuid[]
}

/** A document's processing and topics, as its owner sees them. */
export interface DocumentTopics {
  document_id: Uuid
  status: string
  topic_ids: Uuid[]
  /** The classifier's latest suggestion. */
  suggested: Uuid[]
  /** `auto`, `accepted` or `overridden`. */
  topics_source?: string | null
  /** `native`, `ocr`, `ocr_unavailable`, `unsupported` or `empty`. */
  extraction?: string | null
  provider?: string | null
  fell_back?: boolean | null
  /** A stable code of the last failure (`corrupt`, `timeout`, …). */
  last_error?: string | null
}

export interface SearchQuery {
  q: string
  folder_id?: Uuid
  topic?: Uuid
  from?: Timestamp
  to?: Timestamp
  limit?: number
  cursor?: string | null
}

export interface SearchHit {
  id: Uuid
  /** `null` once the owner's data was erased. */
  filename?: string | null
  folder_id?: Uuid | null
  owner: OwnerRef
  created_at: Timestamp
  topic_ids: Uuid[]
  rank: number
  /** HTML-escaped text around the matches, each match in `<mark>…</mark>`. */
  snippet: string
  /** Shared with the caller rather than owned. */
  shared: boolean
  /** Among the query's ranked matches; `false` for those after them, newest first. */
  ranked: boolean
}

/** A cloud storage backend the caller connected (never with a credential). */
export interface StorageBackend {
  id: string
  kind: 'webdav' | 'nextcloud' | 'onedrive' | 'gdrive'
  display_name: string | null
  endpoint_host: string | null
  is_default: boolean
  status: 'ok' | 'needs_reauth' | 'unreachable'
  documents_count: number
  bytes: number
  created_at: string
}

export interface StorageBackendList {
  items: StorageBackend[]
}
