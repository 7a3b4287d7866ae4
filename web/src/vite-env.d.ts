/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Development only: an API key used instead of a session's data-plane token. */
  readonly VITE_TV_API_KEY?: string;
}
