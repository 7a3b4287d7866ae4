// Not built yet: a helper replaces this placeholder.
export function Dataset() {
  return <p>The Dataset screen is not built yet.</p>;
}
