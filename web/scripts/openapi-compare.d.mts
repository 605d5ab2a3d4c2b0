// Types of openapi-compare.mjs for the TypeScript tests that import it.
export interface Endpoint {
  method: string
  path: string
  request?: string
  response?: string
  /** Query parameters the SPA sends, with the fixed values it uses (null: free-form). */
  query?: Record<string, string[] | null>
}
export const ENDPOINTS: Endpoint[]
export function readInterfaces(source: string): Map<string, Map<string, { optional: boolean }>>
export function compare(
  doc: unknown,
  interfaces: Map<string, Map<string, { optional: boolean }>>,
  endpoints?: Endpoint[],
): { errors: string[]; warnings: string[] }
