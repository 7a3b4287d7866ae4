// Not built yet: a helper replaces this placeholder.
export function Trace() {
  return <p>The Trace screen is not built yet.</p>;
}
