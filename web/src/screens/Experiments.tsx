// Not built yet: a helper replaces this placeholder.
export function Experiments() {
  return <p>The Experiments screen is not built yet.</p>;
}
