// Not built yet: a helper replaces this placeholder.
export function Projects() {
  return <p>The Projects screen is not built yet.</p>;
}
