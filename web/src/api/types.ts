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

export type ProjectionState = 'running' | 'catching_up' | 'rebuilding' | 'halted' | 'stopped' | 'standby'

export interface RebuildProgress {
  processed_events: number
  total_events: number
  events_per_second?: number | null
  eta_seconds?: number | null
  started_at?: Timestamp
}

export interface ProjectionStatus {
  name: string
  version: number
  state: ProjectionState | (string & {})
  leader: string | null
  checkpoint: number | null
  lag_events: number | null
  lag_seconds: number | null
  last_error: string | null
  rebuild?: RebuildProgress | null
}
