// Routes and their guards: signed-out pages, the signed-in app, and role-gated screens (whose
// 403 page AppShell shows, see `forbiddenFor`).
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import type { Role } from './api/types'
import { useAuthStore } from './stores/auth'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in; signed-in users are sent on to their documents. */
    public?: boolean
    /** The roles that may open the screen; anyone else gets the 403 page at the same address. */
    roles?: Role[]
    title?: string
  }
}

/** Whether a signed-in user of `role` is refused the route (then the shell shows the 403 page). */
export function forbiddenFor(to: Pick<RouteLocationNormalized, 'meta'>, role: Role | undefined): boolean {
  const roles = to.meta.roles
  return !!roles && (!role || !roles.includes(role))
}

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/signin', name: 'signin', component: () => import('./views/SignInView.vue'), meta: { public: true, title: 'Sign in' } },
      { path: '/register', name: 'register', component: () => import('./views/RegisterView.vue'), meta: { public: true, title: 'Create account' } },
      {
        path: '/',
        component: () => import('./components/AppShell.vue'),
        children: [
          { path: '', redirect: { name: 'documents' } },
          { path: 'documents/:folderId?', name: 'documents', component: () => import('./views/DocumentsView.vue'), meta: { title: 'Documents' } },
          { path: 'shared', name: 'shared', component: () => import('./views/SharedView.vue'), meta: { title: 'Shared with me' } },
          { path: 'trash', name: 'trash', component: () => import('./views/TrashView.vue'), meta: { title: 'Trash' } },
          { path: 'storage', name: 'storage', component: () => import('./views/StorageView.vue'), meta: { title: 'Storage' } },
          { path: 'account', name: 'account', component: () => import('./views/AccountView.vue'), meta: { title: 'Account' } },
          { path: 'admin/users', name: 'admin-users', component: () => import('./views/AdminUsersView.vue'), meta: { roles: ['admin'], title: 'Users' } },
          { path: 'admin/projections', name: 'admin-projections', component: () => import('./views/AdminProjectionsView.vue'), meta: { roles: ['admin'], title: 'Projections' } },
          { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { roles: ['auditor', 'admin'], title: 'Audit' } },
          { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'Not found' } },
        ],
      },
    ],
  })

  router.beforeEach(async (to: RouteLocationNormalized) => {
    const auth = useAuthStore()
    await auth.restore()
    if (to.meta.public) {
      return auth.signedIn ? { name: 'documents' } : true
    }
    if (!auth.signedIn) {
      return { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
    }
    return true
  })

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · DocuVault` : 'DocuVault'
  })

  return router
}
