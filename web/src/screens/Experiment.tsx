// Not built yet: a helper replaces this placeholder.
export function Experiment() {
  return <p>The Experiment screen is not built yet.</p>;
}
