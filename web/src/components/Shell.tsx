// The frame around every signed-in screen: the organization switcher, the
// current project's tabs, and the user's menu (change password, sign out).
import type { ReactNode } from 'react';
import { signOut, type SessionInfo } from '../api/client';
import { Link, navigate, pathOf } from '../router';

export function Shell({
  session,
  org,
  project,
  children,
}: {
  session: SessionInfo;
  org: string;
  project?: string;
  children: ReactNode;
}) {
  const here = window.location.pathname;
  const tab = (name: string, label: string) => {
    const href = pathOf('app', org, 'p', project!, name);
    return (
      <Link href={href} aria-current={here.startsWith(href) ? 'page' : undefined}>
        {label}
      </Link>
    );
  };
  return (
    <div className="shell">
      <header className="topbar">
        <Link href={pathOf('app', org)} className="brand">
          tracevault
        </Link>
        {session.orgs.length > 1 ? (
          <label className="org-switcher">
            <span className="visually-hidden">Organization</span>
            <select value={org} onChange={(e) => navigate(pathOf('app', e.target.value))}>
              {session.orgs.map((o) => (
                <option key={o.id} value={o.name}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="org-name">{org}</span>
        )}
        {project && (
          <>
            <span className="crumb-sep" aria-hidden="true">
              /
            </span>
            <Link href={pathOf('app', org, 'p', project)} className="project-name">
              {project}
            </Link>
            <nav className="tabs" aria-label="Project">
              {tab('experiments', 'Experiments')}
              {tab('logs', 'Logs')}
              {tab('datasets', 'Datasets')}
            </nav>
          </>
        )}
        <span className="spacer" />
        <Link href="/app/account" className="user">
          {session.user.email}
        </Link>
        <button
          type="button"
          className="link"
          onClick={() => void signOut().then(() => navigate('/app/signin', { replace: true }))}
        >
          Sign out
        </button>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
