// Not built yet: a helper replaces this placeholder.
export function Logs() {
  return <p>The Logs screen is not built yet.</p>;
}
