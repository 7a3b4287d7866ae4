// Not built yet: a helper replaces this placeholder.
export function Datasets() {
  return <p>The Datasets screen is not built yet.</p>;
}
