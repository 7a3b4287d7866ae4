// The route table: every screen is reachable by URL (the links the SDK prints
// are /app/<org>/p/<project>/experiments/<experiment>). Without a session any
// /app path shows the sign-in form and returns there after sign-in.
import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, currentSession, loadSession, onSessionChange, type SessionInfo } from './api/client';
import { SignIn } from './auth/SignIn';
import { Shell } from './components/Shell';
import { ErrorView, Loading } from './components/States';
import { matchPath, navigate, ParamsProvider, pathOf, useLocation, type Params } from './router';
import { Account } from './screens/Account';
import { Dataset } from './screens/Dataset';
import { Datasets } from './screens/Datasets';
import { Experiment } from './screens/Experiment';
import { Experiments } from './screens/Experiments';
import { Logs } from './screens/Logs';
import { Projects } from './screens/Projects';
import { Trace } from './screens/Trace';

interface Route {
  pattern: string;
  render: (p: Params) => ReactNode;
}

// Screens read their params with useParams(); `org` and `project` are names.
const ROUTES: Route[] = [
  { pattern: '/app/:org', render: () => <Projects /> },
  { pattern: '/app/:org/p/:project/experiments', render: () => <Experiments /> },
  { pattern: '/app/:org/p/:project/experiments/:experiment', render: () => <Experiment /> },
  { pattern: '/app/:org/p/:project/trace/:objectType/:objectId/:rootSpanId', render: () => <Trace /> },
  { pattern: '/app/:org/p/:project/logs', render: () => <Logs /> },
  { pattern: '/app/:org/p/:project/datasets', render: () => <Datasets /> },
  { pattern: '/app/:org/p/:project/datasets/:dataset', render: () => <Dataset /> },
];

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function NotFound({ what }: { what: string }) {
  return <ErrorView error={new ApiError(404, 'NotFound', what)} />;
}

function SignedIn({ session, path }: { session: SessionInfo; path: string }) {
  const first = session.orgs[0]?.name;
  if (path === '/' || path === '/app' || path === '/app/' || path === '/app/signin')
    return first ? <Redirect to={pathOf('app', first)} /> : <NoOrg session={session} />;
  if (path === '/app/account')
    return (
      <Shell session={session} org={first ?? ''}>
        <Account session={session} />
      </Shell>
    );
  const project = matchPath('/app/:org/p/:project', path);
  if (project) return <Redirect to={pathOf('app', project.org, 'p', project.project, 'experiments')} />;
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (!params) continue;
    const known = session.orgs.some((o) => o.name === params.org);
    return (
      <Shell session={session} org={params.org} project={params.project}>
        <ParamsProvider value={params}>
          {known ? route.render(params) : <NotFound what={`Organization '${params.org}' not found`} />}
        </ParamsProvider>
      </Shell>
    );
  }
  return (
    <Shell session={session} org={first ?? ''}>
      <NotFound what={`No page at ${path}`} />
    </Shell>
  );
}

function NoOrg({ session }: { session: SessionInfo }) {
  return (
    <main className="content">
      <p>
        {session.user.email} belongs to no organization yet. Ask an owner to add you, or create one with{' '}
        <code>tracevault admin create-org</code>.
      </p>
    </main>
  );
}

export function App() {
  const loc = useLocation();
  const [session, setSession] = useState<SessionInfo | null | undefined>(currentSession() ?? undefined);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => onSessionChange(setSession), []);
  useEffect(() => {
    if (session === undefined) loadSession().catch(setError);
  }, [session]);

  if (error) return <ErrorView error={error} onRetry={() => window.location.reload()} />;
  if (session === undefined) return <Loading what="your session" />;
  if (session === null) {
    const next = loc.path === '/app/signin' ? loc.search.get('next') : loc.path + window.location.search;
    if (loc.path !== '/app/signin')
      return <Redirect to={`/app/signin?next=${encodeURIComponent(next ?? '/app')}`} />;
    return <SignIn next={next} />;
  }
  return <SignedIn session={session} path={loc.path} />;
}
